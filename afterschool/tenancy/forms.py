from __future__ import annotations

from typing import Any

from django import forms

from afterschool.accounts.choices import Role
from afterschool.core.forms import ActorModelForm
from afterschool.tenancy.actor import Actor

from . import selectors
from .choices import OrganizationStatus
from .models import Organization, Region, School
from .services import ORGANIZATION_FIELDS, ORGANIZATION_SELF_FIELDS, REGION_FIELDS, SCHOOL_FIELDS, SCHOOL_SELF_FIELDS


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
    status = forms.ChoiceField(label="状态", choices=OrganizationStatus.choices)
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}))
