"""Forms of terms, grades and classes, venues, emergency contacts and the timetable.

A school admin never picks the school (it is its own); a system admin picks it when creating. FK choices are
limited to what the actor may see; the services re-check every rule.
"""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.core.forms import ActorModelForm
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor

from .models import CalendarDay, EmergencyContact, Grade, RegistrationWindow, SchoolClass, Term, TimetableEntry, Venue
from .selectors import structure as structure_selectors
from .services.contacts import CONTACT_FIELDS, PHONE_MESSAGE, is_valid_phone, normalize_phone
from .services.structure import CLASS_FIELDS, GRADE_FIELDS
from .services.terms import DAY_FIELDS, TERM_FIELDS, WINDOW_FIELDS
from .services.timetable import ENTRY_FIELDS
from .services.venues import VENUE_FIELDS


class SchoolOwnedForm(ActorModelForm):
    """Offers the school only to a system admin creating a record; everyone else writes for its own school."""

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if "school" in self.fields:
            if actor.is_system_admin and self.instance.pk is None:
                self.fields["school"].queryset = tenancy_selectors.school_list(actor=actor)  # type: ignore[attr-defined]
            else:
                del self.fields["school"]


class TermForm(SchoolOwnedForm):
    class Meta:
        model = Term
        fields = ["school", *TERM_FIELDS]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", "结束日期须晚于开始日期")
        return data


class RegistrationWindowForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RegistrationWindow
        fields = list(WINDOW_FIELDS)
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", "截止时间须晚于开始时间")
        return data


class CalendarDayForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CalendarDay
        fields = list(DAY_FIELDS)
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class GradeForm(SchoolOwnedForm):
    class Meta:
        model = Grade
        fields = ["school", *GRADE_FIELDS]


class SchoolClassForm(SchoolOwnedForm):
    class Meta:
        model = SchoolClass
        fields = ["school", *CLASS_FIELDS]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        grades = structure_selectors.grade_list(actor=actor)
        staff = structure_selectors.staff_choices(actor=actor)
        if self.instance.pk is not None:
            grades = grades.filter(school_id=self.instance.school_id)
            staff = staff.filter(school_id=self.instance.school_id)
        self.fields["grade"].queryset = grades  # type: ignore[attr-defined]
        self.fields["head_teacher"].queryset = staff  # type: ignore[attr-defined]
        if actor.is_system_admin:
            self.fields["grade"].label_from_instance = lambda g: f"{g.school.name} · {g.name}"  # type: ignore[attr-defined]
            self.fields["head_teacher"].label_from_instance = lambda s: f"{s.school.name} · {s.name}"  # type: ignore[attr-defined]


class VenueForm(SchoolOwnedForm):
    class Meta:
        model = Venue
        fields = ["school", *VENUE_FIELDS]

    def clean_capacity(self) -> int:
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and capacity <= 0:
            raise forms.ValidationError("容量须大于 0")
        return int(capacity)


class EmergencyContactForm(SchoolOwnedForm):
    class Meta:
        model = EmergencyContact
        fields = ["school", *CONTACT_FIELDS]
        help_texts = {"phone": "手机号或带区号的座机号，如 010-62001234", "order": "数字小的排在前面"}

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data.get("phone", ""))
        if not is_valid_phone(phone):
            raise forms.ValidationError(PHONE_MESSAGE)
        return phone


class TimetableEntryForm(ActorModelForm):
    """One cell of a class's timetable; the class comes from the page, not from the form."""

    class Meta:
        model = TimetableEntry
        fields = list(ENTRY_FIELDS)
        widgets = {
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, actor: Actor, school_class: SchoolClass, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["teacher"].queryset = structure_selectors.staff_choices(actor=actor).filter(  # type: ignore[attr-defined]
            school_id=school_class.school_id
        )
        self.fields["period"].widget.attrs.update({"min": 1, "max": 20})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "结束时间须晚于开始时间")
        return data
