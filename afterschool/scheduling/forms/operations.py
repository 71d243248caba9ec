"""forms: operations (split / move / cancel)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from afterschool.enrollment.forms import ReasonForm
from afterschool.enrollment.models import Enrollment

from ..models import Section
from ..selectors import operations as selectors

STRATEGY_CHOICES = [("balanced", "均分（按学籍号顺序）"), ("class", "按班级（同班学生在一起）"), ("chosen", "指定学生")]


class SplitForm(forms.Form):
    parts = forms.IntegerField(
        label="分成几个课班（含原课班）", min_value=2, max_value=10, initial=2,
        error_messages={"required": "请填写分班数", "min_value": "至少分成 2 个课班", "max_value": "最多分成 10 个课班",
                        "invalid": "请填写整数"},
    )  # fmt: skip
    strategy = forms.ChoiceField(
        label="分班方式", choices=STRATEGY_CHOICES, widget=forms.RadioSelect, initial="balanced"
    )
    chosen = forms.CharField(
        label="指定学生（仅“指定学生”方式）", required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个新课班（第 2 班、第 3 班……），写该班学生的学籍号，用空格或逗号分隔；未写到的学生留在原课班",
    )  # fmt: skip

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section = section

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("strategy") != "chosen":
            data["chosen_ids"] = None
            return data
        by_number = {e.student.student_number: e.student_id for e in selectors.active_enrollments(section=self.section)}
        groups: list[list[int]] = []
        unknown: list[str] = []
        for line in (data.get("chosen") or "").splitlines():
            numbers = [n for n in re.split(r"[\s,，、]+", line.strip()) if n]
            if not numbers:
                continue
            unknown += [n for n in numbers if n not in by_number]
            groups.append([by_number[n] for n in numbers if n in by_number])
        if unknown:
            self.add_error("chosen", f"这些学籍号不是本课班的在读学生：{'、'.join(unknown[:20])}")
        parts = data.get("parts")
        if parts and len(groups) != parts - 1:
            self.add_error("chosen", f"请写 {parts - 1} 行，每行对应一个新课班")
        data["chosen_ids"] = groups
        return data


class EnrollmentsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.student.student_number} {obj.student.name}（{obj.student.school_class}）"


class MoveForm(forms.Form):
    target = forms.ModelChoiceField(
        label="调入课班", queryset=Section.objects.none(), error_messages={"required": "请选择调入课班"}
    )
    students = EnrollmentsField(
        label="调班学生", queryset=Enrollment.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一名学生"},
    )  # fmt: skip
    reason = forms.CharField(label="调班原因", required=False, max_length=200)

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.ModelChoiceField)
        target.queryset = selectors.move_targets(section=section)
        target.error_messages["invalid_choice"] = "请选择同一课程、同一学期的课班"
        students = self.fields["students"]
        assert isinstance(students, forms.ModelMultipleChoiceField)
        students.queryset = selectors.active_enrollments(section=section)
        students.error_messages["invalid_choice"] = "所选学生不在本课班中"


class CancelForm(ReasonForm):
    pass
