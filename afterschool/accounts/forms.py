from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from afterschool.tenancy.models import Organization, Region, School

from .choices import OrgPermission, Role
from .models import OrgRole


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="用户名或手机号",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": "用户名/手机号或密码不正确。连续 5 次错误将锁定账号 30 分钟。",
        "inactive": "该账号已停用，请联系管理员。",
    }


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 8 位，包含大写字母、小写字母、数字、特殊字符中的至少 3 类，且不能与用户名相同。",
    )
    new_password_confirm = forms.CharField(
        label="确认新密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_confirm"):
            self.add_error("new_password_confirm", "两次输入的新密码不一致")
        return data


class TokenIssueForm(forms.Form):
    name = forms.CharField(label="令牌名称", max_length=64)
    days = forms.IntegerField(label="有效天数", min_value=1, max_value=366, initial=90)


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=64, required=False)
    mobile = forms.RegexField(
        label="手机号", regex=r"^1[3-9]\d{9}$", required=False, error_messages={"invalid": "手机号格式不正确"}
    )
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    region = forms.ModelChoiceField(label="区域", queryset=Region.objects.none(), required=False)
    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none(), required=False)
    organization = forms.ModelChoiceField(label="机构", queryset=Organization.objects.none(), required=False)

    def __init__(
        self, *args: Any, roles: list[tuple[str, str]], regions: Any, schools: Any, organizations: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class OrgRoleForm(forms.Form):
    """机构角色: name, description and the permissions chosen from the organization permission catalogue."""

    organization = forms.ModelChoiceField(label="机构", queryset=Organization.objects.none(), required=False)
    name = forms.CharField(label="角色名称", max_length=32)
    description = forms.CharField(label="说明", max_length=200, required=False)
    permissions = forms.MultipleChoiceField(
        label="权限",
        choices=OrgPermission.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "未知的权限“%(value)s”"},
    )

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
            self.fields["organization"].required = True
            self.fields["organization"].error_messages["required"] = "请选择机构"
        self.fields["name"].error_messages["required"] = "请填写角色名称"


class OrgMemberRolesForm(forms.Form):
    roles = forms.ModelMultipleChoiceField(
        label="机构角色",
        queryset=OrgRole.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "角色“%(value)s”不存在或不属于该机构", "invalid_pk_value": "角色编号不正确"},
    )

    def __init__(self, *args: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = roles  # type: ignore[attr-defined]
