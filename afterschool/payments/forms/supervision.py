"""Forms of fee supervision: the bureau's and the school's filters."""

from __future__ import annotations

from django import forms

from afterschool.core.forms import DateRangeFilterForm

_DATE = {"invalid": "日期格式不正确"}


class SupervisionFilterForm(DateRangeFilterForm):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    school = forms.IntegerField(label="学校", min_value=1, max_value=2**62, required=False)
    academic_year = forms.IntegerField(
        label="学年",
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={"invalid": "学年应为年份，如 2026"},
    )
    date_range = ("paid_from", "paid_to")
    paid_from = forms.DateField(label="支付日期从", required=False, error_messages=_DATE)
    paid_to = forms.DateField(label="至", required=False, error_messages=_DATE)


class SchoolFeesFilterForm(SupervisionFilterForm):
    section = forms.IntegerField(label="课班", min_value=1, max_value=2**62, required=False)
    refunded = forms.ChoiceField(
        label="退费", choices=[("", "全部"), ("yes", "有退费"), ("no", "无退费")], required=False
    )
