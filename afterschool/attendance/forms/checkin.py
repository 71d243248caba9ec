"""Forms of teachers' check-in: the position the phone posts, and the filters of the check-in lists."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.core.forms import DateRangeFilterForm

DATE_ERRORS = {"invalid": "请填写有效的日期，如 2026-11-10"}
ID_ERRORS = {"invalid": "请选择有效的选项", "invalid_choice": "请选择有效的选项"}


class PositionForm(forms.Form):
    """Plain text on purpose: the service checks the numbers and names what is wrong in Chinese."""

    latitude = forms.CharField(required=False, max_length=40)
    longitude = forms.CharField(required=False, max_length=40)
    accuracy = forms.CharField(required=False, max_length=40)
    next = forms.CharField(required=False, max_length=500)


def _set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class _DateRange(DateRangeFilterForm):
    date_from = forms.DateField(
        label="开始日期", required=False, error_messages=DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="结束日期", required=False, error_messages=DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"})
    )


class MyCheckinFilterForm(_DateRange):
    section = forms.TypedChoiceField(
        label="课班", required=False, coerce=int, empty_value=None, error_messages=ID_ERRORS
    )

    def __init__(self, *args: Any, sections: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "section", [("", "全部课班"), *[(s.pk, s.name) for s in sections]])


class CheckinFilterForm(_DateRange):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    school = forms.TypedChoiceField(
        label="学校", required=False, coerce=int, empty_value=None, error_messages=ID_ERRORS
    )
    teacher = forms.TypedChoiceField(
        label="教师", required=False, coerce=int, empty_value=None, error_messages=ID_ERRORS
    )
    section = forms.TypedChoiceField(
        label="课班", required=False, coerce=int, empty_value=None, error_messages=ID_ERRORS
    )
    flagged = forms.BooleanField(label="仅看定位精度差", required=False)
    missing = forms.BooleanField(label="仅看已下课未签到", required=False)

    def __init__(self, *args: Any, schools: Any = (), teachers: Any = (), sections: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "school", [("", "全部学校"), *[(s.pk, s.name) for s in schools]])
        _set_choices(self, "teacher", [("", "全部教师"), *[(t.pk, str(t)) for t in teachers]])
        _set_choices(self, "section", [("", "全部课班"), *[(s.pk, s.name) for s in sections]])
