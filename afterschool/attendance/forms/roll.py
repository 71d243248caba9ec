"""Forms of the roll (点名) pages: the day to show, one student's mark, a check-out."""

from __future__ import annotations

from django import forms

from ..choices import AttendanceStatus

ID_ERRORS = {"required": "请选择学生", "invalid": "请选择有效的学生", "min_value": "请选择有效的学生",
             "max_value": "请选择有效的学生"}  # fmt: skip


class DayForm(forms.Form):
    date = forms.DateField(label="日期", required=False, error_messages={"invalid": "请填写有效的日期，如 2026-11-10"})


class MarkForm(forms.Form):
    student = forms.IntegerField(min_value=1, max_value=2**62, error_messages=ID_ERRORS)
    status = forms.ChoiceField(
        choices=AttendanceStatus.choices,
        error_messages={"required": "请选择考勤状态", "invalid_choice": "考勤状态应为出勤、迟到、缺勤、早退或请假"},
    )
    note = forms.CharField(max_length=200, required=False, error_messages={"max_length": "备注最多 200 字"})

    def clean_note(self) -> str | None:
        return self.cleaned_data.get("note") or None  # left empty: the note stays as it is


class CheckoutForm(forms.Form):
    """One student's check-out (student given) or everyone's (left empty)."""

    student = forms.IntegerField(min_value=1, max_value=2**62, required=False, error_messages=ID_ERRORS)
