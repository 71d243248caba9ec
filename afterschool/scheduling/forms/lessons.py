"""Forms: one lesson's move (调课), cancellation (停课, optionally with a make-up lesson) and substitute (代课)."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.accounts.models import User
from afterschool.schools.models import Venue
from afterschool.tenancy.models import School

from ..models import Lesson
from ..selectors import sections as section_selectors
from .sections import DATE, TIME


class TeacherField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.username)


class LessonMoveForm(forms.Form):
    date = forms.DateField(label="新日期", widget=DATE)
    starts_at = forms.TimeField(label="开始时间", widget=TIME)
    ends_at = forms.TimeField(label="结束时间", widget=TIME)
    venue = forms.ModelChoiceField(queryset=Venue.objects.none(), label="场地", required=False, help_text="不选则不变")
    reason = forms.CharField(label="调课原因", max_length=200, required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = section_selectors.venue_choices(school=school)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "结束时间须晚于开始时间")
        return data


class LessonCancelForm(forms.Form):
    reason = forms.CharField(label="停课原因", max_length=200)
    makeup = forms.BooleanField(label="安排补课", required=False)
    makeup_date = forms.DateField(label="补课日期", widget=DATE, required=False)
    makeup_starts_at = forms.TimeField(label="补课开始时间", widget=TIME, required=False)
    makeup_ends_at = forms.TimeField(label="补课结束时间", widget=TIME, required=False)
    makeup_venue = forms.ModelChoiceField(
        queryset=Venue.objects.none(), label="补课场地", required=False, help_text="不选则用原场地"
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["makeup_venue"].queryset = section_selectors.venue_choices(school=school)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("makeup"):
            for key in ("makeup_date", "makeup_starts_at", "makeup_ends_at"):
                if not data.get(key):
                    self.add_error(key, "安排补课时必填")
            if (
                data.get("makeup_starts_at")
                and data.get("makeup_ends_at")
                and data["makeup_ends_at"] <= data["makeup_starts_at"]
            ):
                self.add_error("makeup_ends_at", "结束时间须晚于开始时间")
        return data

    def makeup_data(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("makeup"):
            return None
        return {
            "date": data["makeup_date"],
            "starts_at": data["makeup_starts_at"],
            "ends_at": data["makeup_ends_at"],
            "venue": data.get("makeup_venue"),
        }


class LessonSubstituteForm(forms.Form):
    old_teacher = TeacherField(queryset=User.objects.none(), label="原教师")
    new_teacher = TeacherField(queryset=User.objects.none(), label="代课教师")
    reason = forms.CharField(label="代课原因", max_length=200, required=False)

    def __init__(self, *args: Any, lesson: Lesson, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_teacher"].queryset = lesson.teachers.all()  # type: ignore[attr-defined]
        self.fields["new_teacher"].queryset = section_selectors.teacher_choices(  # type: ignore[attr-defined]
            school=lesson.section.school
        ).exclude(pk__in=lesson.teachers.all())
