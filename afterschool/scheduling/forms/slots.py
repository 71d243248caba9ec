"""forms: slots (课后服务时段)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from afterschool.core.choices import Weekday
from afterschool.schools.forms_structure import SchoolOwnedForm
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor

from ..models import TimeSlot
from ..services.slots import SLOT_FIELDS

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class TimeSlotForm(SchoolOwnedForm):
    class Meta:
        model = TimeSlot
        fields = ["school", *SLOT_FIELDS]
        widgets = {"starts_at": TIME_WIDGET, "ends_at": TIME_WIDGET}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "结束时间须晚于开始时间")
        return data


class StandardWeekForm(forms.Form):
    school: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label="学校", queryset=None, required=False)  # type: ignore[arg-type]
    weekdays = forms.TypedMultipleChoiceField(
        label="星期", choices=Weekday.choices, coerce=int, initial=[1, 2, 3, 4, 5],
        widget=forms.CheckboxSelectMultiple, error_messages={"required": "请至少选择一天"},
    )  # fmt: skip
    first_starts_at = forms.TimeField(label="第一时段开始", initial=dt.time(15, 40), widget=TIME_WIDGET)
    first_ends_at = forms.TimeField(label="第一时段结束", initial=dt.time(16, 40), widget=TIME_WIDGET)
    second_starts_at = forms.TimeField(
        label="第二时段开始", initial=dt.time(16, 50), required=False, widget=TIME_WIDGET
    )
    second_ends_at = forms.TimeField(label="第二时段结束", initial=dt.time(17, 50), required=False, widget=TIME_WIDGET)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actor.is_system_admin:
            self.fields["school"].queryset = tenancy_selectors.school_list(actor=actor)  # type: ignore[attr-defined]
            self.fields["school"].required = True
        else:
            del self.fields["school"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        times = []
        for prefix in ("first", "second"):
            start, end = data.get(f"{prefix}_starts_at"), data.get(f"{prefix}_ends_at")
            if start is None and end is None and prefix == "second":
                continue
            if start is None or end is None:
                self.add_error(f"{prefix}_ends_at", "请同时填写开始和结束时间")
                continue
            if end <= start:
                self.add_error(f"{prefix}_ends_at", "结束时间须晚于开始时间")
                continue
            times.append((start, end))
        data["times"] = tuple(times)
        return data
