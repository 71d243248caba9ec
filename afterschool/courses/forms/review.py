"""Forms of course review pages: submit (schools), decide (approve / reject with comment), withdraw (reason)."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.tenancy.models import School


class SubmitForm(forms.Form):
    """An organization picks the partnered schools; a school's own course needs no choice (always itself)."""

    schools = forms.ModelMultipleChoiceField(
        label="提交给以下学校审核",
        queryset=School.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一所学校", "invalid_choice": "所选学校不在可提交的范围内"},
    )

    def __init__(self, *args: Any, schools: Any, pick_schools: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if pick_schools:
            self.fields["schools"].queryset = schools  # type: ignore[attr-defined]
            self.fields["schools"].help_text = "只列出与本机构合作关系有效、且课程尚未提交或通过的学校"
        else:
            del self.fields["schools"]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结果",
        choices=[("approve", "通过"), ("reject", "驳回")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择审核结果"},
    )
    comment = forms.CharField(
        label="审核意见",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="驳回时必填，会显示给提交方",
        error_messages={"max_length": "审核意见不能超过 500 字"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", "驳回时请填写驳回意见")
        return data


class WithdrawForm(forms.Form):
    schools = forms.ModelMultipleChoiceField(
        label="撤销以下学校的审核通过",
        queryset=School.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="不选则撤销本区域内全部已通过的审核",
        error_messages={"invalid_choice": "所选学校中有课程未通过审核的学校"},
    )
    reason = forms.CharField(
        label="撤销原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如：课程质量抽查不合格（会显示给机构和学校）",
        error_messages={"required": "请填写撤销原因", "max_length": "撤销原因不能超过 500 字"},
    )

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools  # type: ignore[attr-defined]
