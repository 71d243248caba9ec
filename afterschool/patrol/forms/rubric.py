"""Forms of the patrol rubric."""

from __future__ import annotations

from django import forms

from ..choices import ScoreScale


class CriterionForm(forms.Form):
    name = forms.CharField(
        label="评价项", max_length=32, error_messages={"required": "请填写评价项名称", "max_length": "最多 32 个字"}
    )
    description = forms.CharField(
        label="说明", max_length=200, required=False, error_messages={"max_length": "最多 200 个字"}
    )
    scale = forms.ChoiceField(
        label="计分方式", choices=ScoreScale.choices, initial=ScoreScale.FIVE, widget=forms.RadioSelect,
        error_messages={"required": "请选择计分方式", "invalid_choice": "计分方式只能是 1–5 分或 0–10 分"},
    )  # fmt: skip
