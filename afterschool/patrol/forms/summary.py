"""Forms of the bureau's patrol summary."""

from __future__ import annotations

from typing import Any

from django import forms

_DATE = {"invalid": "日期格式不正确"}


class SummaryFilterForm(forms.Form):
    date_from = forms.DateField(label="日期从", required=False, error_messages=_DATE)
    date_to = forms.DateField(label="至", required=False, error_messages=_DATE)
    q = forms.CharField(label="学校", max_length=64, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data
