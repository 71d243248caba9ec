"""Forms of school announcements: compose (with the grade / class / section its audience needs) and the list's
filters."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.core.forms import DateRangeFilterForm
from afterschool.scheduling.models import Section
from afterschool.schools.models import Grade, SchoolClass
from afterschool.tenancy.models import School

from ..choices import Audience
from ..selectors import announcements as selectors
from ..services.announcements import BODY_MAX, TITLE_MAX

_DATE = {"invalid": "日期格式不正确，如 2026-11-10"}
_NUL = {"null_characters_not_allowed": "含有不可用的字符"}
_CHOICE = {"invalid_choice": "请选择本校的选项", "required": "请选择"}


class _ClassChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: SchoolClass) -> str:  # type: ignore[override]
        return f"{obj.grade.name}{obj.name}"


class _SectionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Section) -> str:  # type: ignore[override]
        return f"{obj.name}（{obj.get_status_display()}）"


class AnnouncementForm(forms.Form):
    audience = forms.ChoiceField(
        label="通知对象", choices=[("", "请选择通知对象"), *Audience.choices],
        error_messages={"required": "请选择通知对象", "invalid_choice": "请选择通知对象"},
    )  # fmt: skip
    grade: forms.ModelChoiceField[Grade] = forms.ModelChoiceField(
        label="年级", queryset=None, required=False, empty_label="请选择年级", error_messages=_CHOICE
    )
    school_class = _ClassChoice(
        label="班级", queryset=None, required=False, empty_label="请选择班级", error_messages=_CHOICE
    )
    section = _SectionChoice(
        label="课班", queryset=None, required=False, empty_label="请选择课班", error_messages=_CHOICE
    )
    title = forms.CharField(
        label="标题", max_length=TITLE_MAX,
        error_messages={"required": "请填写标题", "max_length": f"标题最多 {TITLE_MAX} 字", **_NUL},
    )  # fmt: skip
    body = forms.CharField(
        label="内容", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "请填写内容", "max_length": f"内容最多 {BODY_MAX} 字", **_NUL},
    )  # fmt: skip

    TARGET_FIELDS = {Audience.GRADE: "grade", Audience.CLASS: "school_class", Audience.SECTION: "section"}
    MISSING = {"grade": "请选择年级", "school_class": "请选择班级", "section": "请选择课班"}

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["grade"].queryset = selectors.target_grades(school)  # type: ignore[attr-defined]
        self.fields["school_class"].queryset = selectors.target_classes(school)  # type: ignore[attr-defined]
        self.fields["section"].queryset = selectors.target_sections(school)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needed = self.TARGET_FIELDS.get(data.get("audience", ""))
        if needed and not data.get(needed) and needed not in self.errors:
            self.add_error(needed, self.MISSING[needed])
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        needed = self.TARGET_FIELDS.get(data["audience"])
        out: dict[str, Any] = {
            "school": self.school.pk, "audience": data["audience"], "title": data["title"], "body": data["body"],
        }  # fmt: skip
        if needed:
            out[needed] = data[needed]
        return out


class AnnouncementFilterForm(DateRangeFilterForm):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    audience = forms.ChoiceField(label="对象", choices=[("", "全部对象"), *Audience.choices], required=False)
    school = forms.IntegerField(label="学校", min_value=1, max_value=2**62, required=False)
    date_from = forms.DateField(label="开始日期", required=False, error_messages=_DATE)
    date_to = forms.DateField(label="结束日期", required=False, error_messages=_DATE)
