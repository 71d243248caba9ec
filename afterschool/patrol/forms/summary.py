"""Forms of the bureau's patrol summary."""

from __future__ import annotations

from django import forms

from afterschool.core.forms import DateRangeFilterForm

_DATE = {"invalid": "日期格式不正确"}


class SummaryFilterForm(DateRangeFilterForm):
    date_from = forms.DateField(label="日期从", required=False, error_messages=_DATE)
    date_to = forms.DateField(label="至", required=False, error_messages=_DATE)
    q = forms.CharField(label="学校", max_length=64, required=False)
