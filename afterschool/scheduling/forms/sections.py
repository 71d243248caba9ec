"""Forms: sections (课班) with their weekly slots (an inline formset), and the status change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms import formset_factory

from afterschool.accounts.models import User
from afterschool.core.choices import Weekday
from afterschool.courses.models import Course
from afterschool.schools.models import Grade, RegistrationWindow, SchoolClass, Term, Venue
from afterschool.tenancy.models import School

from ..choices import SectionMode, SectionStatus
from ..models import Section, TimeSlot
from ..selectors import sections as selectors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class TeacherChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.username)


class SectionForm(forms.Form):
    name = forms.CharField(label="课班名称", max_length=64)
    term = forms.ModelChoiceField(queryset=Term.objects.none(), label="学期")
    course = forms.ModelChoiceField(
        queryset=Course.objects.none(), label="课程", help_text="仅列出已在本校审核通过的课程"
    )
    mode = forms.ChoiceField(label="上课形式", choices=SectionMode.choices)
    grades = forms.ModelMultipleChoiceField(
        queryset=Grade.objects.none(), label="报名年级", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="走班必选；原班按所选班级自动确定",
    )  # fmt: skip
    classes = forms.ModelMultipleChoiceField(
        queryset=SchoolClass.objects.none(), label="原班班级", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="原班必选",
    )  # fmt: skip
    fee_yuan = forms.DecimalField(
        label="报名费用（元）",
        initial=0,
        min_value=Decimal(0),
        max_value=Decimal(1_000_000),
        max_digits=9,
        decimal_places=2,
    )
    materials_fee_yuan = forms.DecimalField(
        label="材料费（元）",
        initial=0,
        min_value=Decimal(0),
        max_value=Decimal(1_000_000),
        max_digits=9,
        decimal_places=2,
    )
    materials_included = forms.BooleanField(label="含材料（材料费随报名费一并收取）", required=False)
    min_students = forms.IntegerField(label="最少人数", min_value=1, max_value=1000, initial=1)
    max_students = forms.IntegerField(label="最多人数", min_value=1, max_value=1000, initial=30)
    starts_on = forms.DateField(label="开课日期", widget=DATE)
    ends_on = forms.DateField(label="结课日期", widget=DATE)
    venue = forms.ModelChoiceField(queryset=Venue.objects.none(), label="上课场地", required=False)
    teachers = TeacherChoiceField(
        queryset=User.objects.none(), label="上课教师", widget=forms.CheckboxSelectMultiple,
        help_text="本校在职教职工，或外派到本校的机构教师；第一位为主讲",
    )  # fmt: skip
    registration_window = forms.ModelChoiceField(
        queryset=RegistrationWindow.objects.none(), label="报名时段", required=False
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        f = self.fields
        f["term"].queryset = selectors.term_choices(school=school)  # type: ignore[attr-defined]
        f["course"].queryset = selectors.course_choices(school=school)  # type: ignore[attr-defined]
        f["grades"].queryset = selectors.grade_choices(school=school)  # type: ignore[attr-defined]
        f["classes"].queryset = selectors.class_choices(school=school)  # type: ignore[attr-defined]
        f["venue"].queryset = selectors.venue_choices(school=school)  # type: ignore[attr-defined]
        f["teachers"].queryset = selectors.teacher_choices(school=school)  # type: ignore[attr-defined]
        f["registration_window"].queryset = selectors.window_choices(school=school)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "结课日期不能早于开课日期")
        if data.get("min_students") and data.get("max_students") and data["min_students"] > data["max_students"]:
            self.add_error("max_students", "最多人数不能少于最少人数")
        return data


def section_initial(section: Section) -> dict[str, Any]:
    return {
        "name": section.name,
        "term": section.term_id,
        "course": section.course_id,
        "mode": section.mode,
        "grades": list(section.grades.values_list("pk", flat=True)),
        "classes": list(section.classes.values_list("pk", flat=True)),
        "fee_yuan": Decimal(section.fee_fen) / 100,
        "materials_fee_yuan": Decimal(section.materials_fee_fen) / 100,
        "materials_included": section.materials_included,
        "min_students": section.min_students,
        "max_students": section.max_students,
        "starts_on": section.starts_on,
        "ends_on": section.ends_on,
        "venue": section.venue_id,
        "teachers": [link.user_id for link in section.teacher_links.all()],
        "registration_window": section.registration_window_id,
    }


class SlotForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label="星期", choices=[("", "—"), *list(Weekday.choices)], coerce=int, required=False, empty_value=None
    )
    starts_at = forms.TimeField(label="开始", required=False, widget=TIME)
    ends_at = forms.TimeField(label="结束", required=False, widget=TIME)
    time_slot = forms.ModelChoiceField(queryset=TimeSlot.objects.none(), label="或选时段", required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_slot"].queryset = selectors.time_slot_choices(school=school)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("time_slot") is None and any(
            data.get(k) not in (None, "") for k in ("weekday", "starts_at", "ends_at")
        ):
            for key, label in (("weekday", "星期"), ("starts_at", "开始时间"), ("ends_at", "结束时间")):
                if data.get(key) in (None, ""):
                    self.add_error(key, f"请填写{label}")
            if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
                self.add_error("ends_at", "结束时间须晚于开始时间")
        return data

    def slot(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or (data.get("time_slot") is None and data.get("weekday") in (None, "")):
            return None
        return {k: data.get(k) for k in ("weekday", "starts_at", "ends_at", "time_slot")}


SlotFormSet = formset_factory(SlotForm, extra=2, can_delete=True, max_num=14, validate_max=True)


def slot_initial(section: Section) -> list[dict[str, Any]]:
    return [
        {"weekday": s.weekday, "starts_at": s.starts_at, "ends_at": s.ends_at, "time_slot": s.time_slot_id}
        for s in section.slots.all()
    ]


class SectionStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="新状态",
        choices=[(s.value, s.label) for s in (SectionStatus.OPEN, SectionStatus.RUNNING, SectionStatus.FINISHED)],
    )
