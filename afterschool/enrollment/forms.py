"""Forms of enrollments: add one student, add a class (or all the classes of a 原班 section), remove."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.scheduling.choices import SectionMode
from afterschool.scheduling.models import Section
from afterschool.schools.models import SchoolClass, Student

from . import selectors


class StudentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.student_number} {obj.name}（{obj.school_class}）"


class EnrolForm(forms.Form):
    student = StudentChoiceField(
        label="学生", queryset=Student.objects.none(), error_messages={"required": "请选择学生"}
    )

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["student"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.addable_students(section=section)
        field.error_messages["invalid_choice"] = "该学生不可选（不在报名范围内或已在课班中）"


class BatchEnrolForm(forms.Form):
    school_class = forms.ModelChoiceField(label="按班级加入", queryset=SchoolClass.objects.none(), required=False)
    all_classes = forms.BooleanField(label="加入原班课班全部班级的学生", required=False)

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school_class"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.section_class_choices(section=section)
        field.error_messages["invalid_choice"] = "请选择课班报名年级内的班级"
        if section.mode != SectionMode.CLASS:
            del self.fields["all_classes"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("school_class")) == bool(data.get("all_classes")):
            raise forms.ValidationError("请选择一个班级，或勾选“全部班级”（二选一）")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写原因", "max_length": "原因最多 200 字"},
    )  # fmt: skip
