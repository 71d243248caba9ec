"""Forms of the people pages. Choices are limited to the actor's scope; personal data is never pre-filled."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.core.forms import ActorModelForm
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import School

from .choices import GuardianRelation, StaffRole
from .models import Guardian, Staff, Student
from .selectors import people as selectors
from .services.people import GUARDIAN_FIELDS, STAFF_FIELDS, STUDENT_FIELDS


class _SchoolLabelled(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A system admin sees grades and classes of every school: label them with the school."""

    def __init__(self, *args: Any, with_school: bool = False, **kwargs: Any) -> None:
        self.with_school = with_school
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.school.name} · {obj}" if self.with_school else str(obj)


class StudentForm(ActorModelForm):
    id_number = forms.CharField(label="身份证号", max_length=18, required=False)

    class Meta:
        model = Student
        fields = list(STUDENT_FIELDS)
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        many = actor.is_system_admin
        self.fields["grade"] = _SchoolLabelled(
            selectors.grade_choices(actor=actor), label="年级", with_school=many, initial=self.initial.get("grade")
        )
        self.fields["school_class"] = _SchoolLabelled(
            selectors.class_choices(actor=actor),
            label="班级",
            with_school=many,
            initial=self.initial.get("school_class"),
        )
        self.fields["birth_date"].help_text = "填写身份证号时可不填，将按身份证号中的出生日期"
        if self.instance.pk and self.instance.id_number:
            self.fields["id_number"].help_text = f"当前：{self.instance.id_number_masked}；留空表示不修改"
        else:
            self.fields["id_number"].help_text = "18 位，最后一位可为 X；可不填"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and not data.get("id_number"):
            data.pop("id_number", None)  # blank on edit keeps the stored number
        return data


class StaffForm(ActorModelForm):
    mobile = forms.CharField(label="手机号", max_length=20, required=False)
    roles = forms.MultipleChoiceField(
        label="岗位", choices=StaffRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    school = forms.ModelChoiceField(queryset=School.objects.none(), label="学校", required=False)

    class Meta:
        model = Staff
        fields = list(STAFF_FIELDS)

    field_order = ["school", "employee_number", "name", "mobile", "subjects", "roles", "is_active"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if actor.is_system_admin and not self.instance.pk:
            self.fields["school"].queryset = tenancy_selectors.school_list(actor=actor)  # type: ignore[attr-defined]
            self.fields["school"].required = True
        else:
            del self.fields["school"]
        if self.instance.pk and self.instance.mobile:
            self.fields["mobile"].help_text = f"当前：{self.instance.mobile_masked}；留空表示不修改"
        else:
            self.fields["mobile"].help_text = "填写后将为其开通教师账号（同一手机号已有账号则关联）"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and not data.get("mobile"):
            data.pop("mobile", None)
        return data


class GuardianLinkForm(forms.Form):
    name = forms.CharField(label="监护人姓名", max_length=64)
    mobile = forms.CharField(label="手机号", max_length=20, help_text="同一手机号即同一位监护人；将开通或关联家长账号")
    relation = forms.ChoiceField(label="与学生关系", choices=GuardianRelation.choices)
    is_primary = forms.BooleanField(label="设为主要联系人", required=False)


class GuardianForm(ActorModelForm):
    """Edit a guardian: the mobile is never pre-filled; blank keeps it."""

    mobile = forms.CharField(label="手机号", max_length=20, required=False)

    class Meta:
        model = Guardian
        fields = list(GUARDIAN_FIELDS)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        current = f"当前：{self.instance.mobile_masked}；留空表示不修改。" if self.instance.pk else ""
        if self.instance.user_id:
            self.fields["mobile"].help_text = current + "已开通家长账号：手机号即登录账号，须由本人修改"
            self.fields["mobile"].disabled = True
        else:
            self.fields["mobile"].help_text = current + "同一手机号即同一位监护人，不能与其他监护人重复"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("mobile"):
            data.pop("mobile", None)
        return data


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", "身份证号"), ("mobile", "手机号")])
