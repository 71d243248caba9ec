"""forms: settlement — terms (结算约定), raising a bill, and the comment/reason of a bill step."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.accounts.choices import Role
from afterschool.core.forms import ActorModelForm
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, School

from ..choices import SettlementMode
from ..models import SettlementTerms
from ..selectors import settlement as selectors
from ..services.settlement import TERMS_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SettlementTermsForm(ActorModelForm):
    class Meta:
        model = SettlementTerms
        fields = ["school", *TERMS_FIELDS]
        widgets = {"starts_on": DATE, "ends_on": DATE}
        help_texts = {"rate_fen": "按课次或按人次时的单价，单位：分", "share_permille": "按学费分成时填写，0–1000‰"}

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if actor.is_system_admin and self.instance.pk is None:
            self.fields["school"].queryset = tenancy_selectors.school_list(actor=actor)  # type: ignore[attr-defined]
        else:
            del self.fields["school"]
        if actor.has_role(Role.SCHOOL_ADMIN):
            orgs = Organization.objects.filter(pk__in=[int(v) for v, _ in selectors.partner_choices(actor=actor)])
        else:
            orgs = tenancy_selectors.organization_list(actor=actor)
        self.fields["organization"].queryset = orgs.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("mode")
        if mode in (SettlementMode.PER_LESSON, SettlementMode.PER_STUDENT_LESSON) and not data.get("rate_fen"):
            self.add_error("rate_fen", "按课次或按人次结算时须填写大于 0 的单价")
        if mode == SettlementMode.FEE_SHARE and not data.get("share_permille"):
            self.add_error("share_permille", "按学费分成时须填写分成比例（1–1000‰）")
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        return data


class BillRaiseForm(forms.Form):
    """The other side of the bill and the period; a system admin (for the bank) names both sides."""

    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none(), required=False)
    organization = forms.ModelChoiceField(label="机构", queryset=Organization.objects.none(), required=False)
    period_start = forms.DateField(label="结算开始日期", widget=DATE)
    period_end = forms.DateField(label="结算结束日期", widget=DATE)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        ids = [int(v) for v, _ in selectors.partner_choices(actor=actor)]
        if actor.has_role(Role.SCHOOL_ADMIN):
            del self.fields["school"]
            self.fields["organization"].queryset = Organization.objects.filter(pk__in=ids).order_by("name")  # type: ignore[attr-defined]
            self.fields["organization"].required = True
        elif actor.has_role(Role.ORG_ADMIN):
            del self.fields["organization"]
            self.fields["school"].queryset = School.objects.filter(pk__in=ids).order_by("name")  # type: ignore[attr-defined]
            self.fields["school"].required = True
        else:
            self.fields["school"].queryset = tenancy_selectors.school_list(actor=actor)  # type: ignore[attr-defined]
            self.fields["organization"].queryset = tenancy_selectors.organization_list(actor=actor)  # type: ignore[attr-defined]
            self.fields["school"].required = True
            self.fields["organization"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "结束日期不能早于开始日期")
        return data


class BillStepForm(forms.Form):
    comment = forms.CharField(
        label="意见 / 原因", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
