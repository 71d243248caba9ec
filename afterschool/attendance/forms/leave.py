"""Forms of leave: a family's request, the review filters and decisions, a teacher's leave and the school's decision."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.accounts.models import User

from ..choices import LeaveStatus

MAX_ID = 2**62
REASON_ERRORS = {"required": "请填写请假原因", "max_length": "请假原因最多 200 字"}
NOTE_ERRORS = {"max_length": "审批意见最多 200 字"}
REJECT_ERRORS = {"required": "驳回时请填写原因", "max_length": "驳回原因最多 200 字"}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LessonIdsField(forms.Field):
    """The ids of the lessons ticked (checkboxes named `lessons`, drawn by the template)."""

    widget = forms.SelectMultiple
    default_error_messages = {"required": "请选择要请假的课次", "invalid": "所选课次不正确"}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids: list[int] = []
        for raw in values:
            try:
                number = int(str(raw))
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
            if not 0 < number < MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(number)
        return ids


class LeaveRequestForm(forms.Form):
    lessons = LessonIdsField(label="请假课次")
    reason = forms.CharField(
        label="请假原因", max_length=200, error_messages=REASON_ERRORS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200, "placeholder": "如：感冒发烧，需在家休息"}),
    )  # fmt: skip


class ApproveForm(forms.Form):
    note = forms.CharField(label="审批意见", max_length=200, required=False, error_messages=NOTE_ERRORS)


class RejectForm(forms.Form):
    note = forms.CharField(label="驳回原因", max_length=200, error_messages=REJECT_ERRORS)


class LeaveFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *LeaveStatus.choices], required=False)
    section = forms.ChoiceField(label="课班", choices=[("", "全部课班")], required=False)
    date = forms.DateField(
        label="上课日期", required=False, widget=DATE, error_messages={"invalid": "请填写正确的日期"}
    )

    def __init__(self, *args: Any, sections: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "全部课班"), *sections]  # type: ignore[attr-defined]


class TeacherLeaveFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *LeaveStatus.choices], required=False)
    date = forms.DateField(
        label="上课日期", required=False, widget=DATE, error_messages={"invalid": "请填写正确的日期"}
    )


class TeacherLeaveForm(forms.Form):
    reason = forms.CharField(
        label="请假原因", max_length=200, error_messages=REASON_ERRORS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200, "placeholder": "如：外出培训"}),
    )  # fmt: skip


class TeacherField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.username)


DECISIONS = [("substitute", "批准，安排代课"), ("cancel", "批准，停课"), ("reject", "驳回")]


class TeacherLeaveDecideForm(forms.Form):
    action = forms.ChoiceField(
        label="处理方式", choices=DECISIONS, widget=forms.RadioSelect, error_messages={"required": "请选择处理方式"}
    )
    substitute = TeacherField(
        queryset=User.objects.none(), label="代课教师", required=False,
        help_text="本校有账号的教职工或外派到本校的机构教师；保存时检查外派期限和时间冲突",
        error_messages={"invalid_choice": "请从列表中选择代课教师"},
    )  # fmt: skip
    note = forms.CharField(
        label="审批意见 / 驳回原因", max_length=200, required=False, error_messages=NOTE_ERRORS,
        help_text="驳回时必填；停课时作为停课原因告知家长（不填则写“任课教师请假”）",
    )  # fmt: skip

    def __init__(self, *args: Any, substitutes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = substitutes  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "substitute" and not data.get("substitute"):
            self.add_error("substitute", "请选择代课教师")
        if data.get("action") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "驳回时请填写原因")
        return data
