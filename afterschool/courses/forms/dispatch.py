"""Forms: teacher dispatch."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.core.choices import CourseCategory
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from ..models import OrgTeacher
from ..selectors import dispatch as selectors

DATE = forms.DateInput(attrs={"type": "date"})


class DispatchForm(forms.Form):
    teacher = forms.ModelChoiceField(
        queryset=OrgTeacher.objects.none(), label="教师", help_text="仅列出在职且背景审查已通过的教师"
    )
    school = forms.ModelChoiceField(
        queryset=School.objects.none(), label="外派学校", help_text="仅列出与本机构合作中的学校"
    )
    starts_on = forms.DateField(label="开始日期", widget=DATE)
    ends_on = forms.DateField(label="结束日期", widget=DATE)
    course_categories = forms.MultipleChoiceField(
        label="授课课程类型", choices=CourseCategory.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = selectors.dispatchable_teachers(actor=actor)  # type: ignore[attr-defined]
        self.fields["school"].queryset = selectors.partner_schools(actor=actor)  # type: ignore[attr-defined]


class DispatchEditForm(forms.Form):
    ends_on = forms.DateField(label="结束日期", widget=DATE, help_text="须在与学校的合作期限内")
    course_categories = forms.MultipleChoiceField(
        label="授课课程类型", choices=CourseCategory.choices, widget=forms.CheckboxSelectMultiple
    )


class DispatchCancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
