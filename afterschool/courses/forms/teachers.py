"""Forms: organization teachers and their certificates."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization
from afterschool.tenancy.scoping import scoped

from ..choices import BackgroundCheck
from ..models import OrgTeacher

DATE = forms.DateInput(attrs={"type": "date"})


class TeacherForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label="机构")
    name = forms.CharField(label="姓名", max_length=64)
    mobile = forms.CharField(label="手机号", max_length=20)
    id_number = forms.CharField(label="身份证号", max_length=18)
    certificate_number = forms.CharField(label="教师资格证编号", max_length=32, required=False)
    subjects = forms.CharField(label="任教科目", max_length=128, required=False, help_text="多个科目用顿号分隔")
    background_check = forms.ChoiceField(label="背景审查", choices=BackgroundCheck.choices)
    background_checked_on = forms.DateField(label="审查日期", required=False, widget=DATE)
    is_active = forms.BooleanField(label="在职", required=False, initial=True)
    create_account = forms.BooleanField(
        label="开通机构教师账号", required=False, help_text="以手机号登录；该手机号已有账号时直接关联，不重复创建"
    )

    def __init__(self, *args: Any, actor: Actor, instance: OrgTeacher | None = None, **kwargs: Any) -> None:
        if instance is not None and not args[0:1] and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "certificate_number": instance.certificate_number,
                "subjects": instance.subjects,
                "background_check": instance.background_check,
                "background_checked_on": instance.background_checked_on,
                "is_active": instance.is_active,
            }
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.instance = instance
        if actor.is_system_admin and instance is None:
            self.fields["organization"].queryset = scoped(  # type: ignore[attr-defined]
                Organization.objects.order_by("name"), actor
            )
        else:
            del self.fields["organization"]
        if instance is not None:
            del self.fields["create_account"]
            for name, masked in (("mobile", instance.mobile_masked), ("id_number", instance.id_number_masked)):
                self.fields[name].required = False
                self.fields[name].help_text = f"当前：{masked or '—'}；留空表示不修改"

    def service_data(self) -> dict[str, Any]:
        """The cleaned values for the service; on edit, a blank mobile or ID number means unchanged."""
        data = dict(self.cleaned_data)
        if self.instance is not None:
            for name in ("mobile", "id_number"):
                if not data.get(name):
                    data.pop(name, None)
        return data


class CertificateForm(forms.Form):
    name = forms.CharField(label="证书名称", max_length=64, help_text="如：教师资格证、专业等级证书")
    file = forms.FileField(label="文件", help_text="PDF、JPG 或 PNG")


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("mobile", "手机号"), ("id_number", "身份证号")])
