from __future__ import annotations

import re
from typing import Any

from django import forms

from afterschool.accounts.choices import Role
from afterschool.core.choices import CourseCategory
from afterschool.core.forms import ActorModelForm
from afterschool.tenancy.actor import Actor

from . import selectors
from .choices import OrganizationKind, OrganizationStatus
from .models import Organization, Partnership, Region, School
from .services import ORGANIZATION_FIELDS, ORGANIZATION_SELF_FIELDS, REGION_FIELDS, SCHOOL_FIELDS, SCHOOL_SELF_FIELDS
from .validators import validate_credit_code


class RegionForm(ActorModelForm):
    class Meta:
        model = Region
        fields = list(REGION_FIELDS)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["parent"].queryset = selectors.region_list(actor=actor).exclude(level="district")  # type: ignore[attr-defined]
        self.fields["code"].help_text = "6 位 GB/T 2260 行政区划代码，如 110108"


class SchoolForm(ActorModelForm):
    self_fields = SCHOOL_SELF_FIELDS
    self_role = Role.SCHOOL_ADMIN

    class Meta:
        model = School
        fields = list(SCHOOL_FIELDS)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if "region" in self.fields:
            self.fields["region"].queryset = selectors.region_list(actor=actor).filter(level="district")  # type: ignore[attr-defined]
        if "code" in self.fields:
            self.fields["code"].help_text = "10 位学校标识码：2 位学校类别 + 2 位省份代码 + 6 位序号"


class OrganizationForm(ActorModelForm):
    self_fields = ORGANIZATION_SELF_FIELDS
    self_role = Role.ORG_ADMIN

    class Meta:
        model = Organization
        fields = list(ORGANIZATION_FIELDS)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if "region" in self.fields:
            self.fields["region"].queryset = selectors.region_list(actor=actor).filter(level="district")  # type: ignore[attr-defined]
        if "credit_code" in self.fields:
            self.fields["credit_code"].help_text = "18 位统一社会信用代码（含校验位）"

    def clean_credit_code(self) -> str:
        return str(self.cleaned_data.get("credit_code", "")).strip().upper()


class OrganizationStatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=OrganizationStatus.choices)
    reason = forms.CharField(
        label="原因", max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="暂停或退出须填写原因",
    )  # fmt: skip

    def __init__(self, *args: Any, current: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current is not None:
            from .services import status_targets

            targets = set(status_targets(current))
            self.fields["status"].choices = [c for c in OrganizationStatus.choices if c[0] in targets]  # type: ignore[attr-defined]


class ApplicationForm(forms.Form):
    """The public 入驻申请 form (no login)."""

    name = forms.CharField(label="机构名称", max_length=128)
    credit_code = forms.CharField(
        label="统一社会信用代码", min_length=18, max_length=18,
        help_text="18 位，含校验位",
    )  # fmt: skip
    kind = forms.ChoiceField(label="机构类型", choices=OrganizationKind.choices)
    region = forms.ModelChoiceField(
        label="申请入驻区县", queryset=Region.objects.filter(level="district").order_by("code"), empty_label="请选择"
    )
    licence = forms.FileField(label="营业执照或登记证书", help_text="PDF、JPG 或 PNG，不超过 10 MB")
    contact_name = forms.CharField(label="联系人", max_length=64)
    contact_phone = forms.CharField(label="联系电话", max_length=32)
    contact_email = forms.EmailField(label="电子邮箱", required=False)
    address = forms.CharField(label="地址", max_length=255)
    course_categories = forms.MultipleChoiceField(
        label="可提供的课程类别", choices=CourseCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    teacher_summary = forms.CharField(
        label="师资情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="教师人数、资格证持有情况、背景审查情况等",
    )  # fmt: skip

    def clean_credit_code(self) -> str:
        code = str(self.cleaned_data.get("credit_code", "")).strip().upper()
        validate_credit_code(code)
        return code

    def clean_contact_phone(self) -> str:
        phone = str(self.cleaned_data.get("contact_phone", "")).strip()
        if not re.fullmatch(r"[0-9+\- ]{7,20}", phone):
            raise forms.ValidationError("请填写正确的联系电话（手机或座机）")
        return phone


class ApplicationLookupForm(forms.Form):
    reference = forms.CharField(label="申请编号", max_length=24)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18)


class ApplicationRejectForm(forms.Form):
    reason = forms.CharField(label="驳回原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ApplicationApproveForm(forms.Form):
    comment = forms.CharField(label="审核意见（可选）", max_length=500, required=False)


class PartnershipForm(ActorModelForm):
    """Create: school (system admin only; a school admin's own school is implied), organization, dates.
    Edit: the dates only."""

    class Meta:
        model = Partnership
        fields = ["school", "organization", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["ends_on"].help_text = "不填表示长期合作"
        if self.instance.pk:
            del self.fields["school"]
            del self.fields["organization"]
            return
        own_school = None
        if actor.school_id is not None:
            own_school = selectors.school_get(actor=actor, school_id=actor.school_id)
            del self.fields["school"]
        else:
            self.fields["school"].queryset = selectors.school_list(actor=actor)  # type: ignore[attr-defined]
        self.fields["organization"].queryset = selectors.partnership_organization_choices(school=own_school)  # type: ignore[attr-defined]
        self.fields["organization"].help_text = "只列出本区已入驻（状态正常）的机构"

    def _post_clean(self) -> None:
        # The service checks the rules (region, status, overlap); skip the model's own validation here.
        pass


class PartnershipEndForm(forms.Form):
    reason = forms.CharField(label="结束原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    ends_on = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="不填为今天"
    )
