"""Forms of the waitlist pages."""

from __future__ import annotations

from django import forms


class JoinForm(forms.Form):
    section = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    student = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    with_materials = forms.BooleanField(label="同时购买材料", required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200, error_messages={"required": "请填写取消原因"})

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].strip()
        if "\x00" in value:
            raise forms.ValidationError("原因含有不允许的字符")
        if not value:
            raise forms.ValidationError("请填写取消原因")
        return value
