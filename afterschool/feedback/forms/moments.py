"""Forms of classroom moments: posting (text and up to 9 photos or videos), rejecting with a reason, the lists'
filters."""

from __future__ import annotations

from typing import Any

from django import forms

from ..choices import MomentStatus
from ..selectors.moments import MAX_FILES, MAX_TEXT

DATE = forms.DateInput(attrs={"type": "date"})


class MultipleMediaInput(forms.FileInput):
    """<input type=file multiple>: photos (JPG/PNG) and videos (MP4) from the phone's gallery or camera."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"accept": "image/jpeg,image/png,video/mp4", "multiple": True, "data-moment-files": ""}
        super().__init__({**base, **(attrs or {})})


class MultipleMediaField(forms.FileField):
    """Every file chosen, in order (the service checks each one by content)."""

    widget = MultipleMediaInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleMediaField, self).clean(f, initial) for f in files if f]


class MomentForm(forms.Form):
    text = forms.CharField(
        label="课堂小结", max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_TEXT, "placeholder": "这节课学了什么，表现如何"}),
        error_messages={"required": "请填写课堂小结", "max_length": f"课堂小结最多 {MAX_TEXT} 字"},
    )  # fmt: skip
    # Named like the API's field; the form's metaclass moves it into base_fields, so BaseForm.files stays the uploads.
    files = MultipleMediaField(  # type: ignore[assignment]
        label=f"照片或视频（最多 {MAX_FILES} 个）", required=False,
        help_text="照片 JPG/PNG，视频 MP4（H.264）；视频会自动截取第一帧作为封面",
        error_messages={"invalid": "请重新选择文件", "empty": "文件为空"},
    )  # fmt: skip


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="驳回原因", max_length=200,
        error_messages={"required": "请填写驳回原因", "max_length": "驳回原因最多 200 字"},
    )  # fmt: skip


class MomentFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    school = forms.ChoiceField(label="学校", choices=[("", "全部学校")], required=False)
    section = forms.ChoiceField(label="课班", choices=[("", "全部课班")], required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *MomentStatus.choices], required=False)
    date = forms.DateField(
        label="上课日期", required=False, widget=DATE, error_messages={"invalid": "请填写正确的日期"}
    )

    def __init__(
        self, *args: Any, sections: list[tuple[str, str]], schools: list[tuple[str, str]] | None = None,
        with_status: bool = True, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "全部课班"), *sections]  # type: ignore[attr-defined]
        if schools:
            self.fields["school"].choices = [("", "全部学校"), *schools]  # type: ignore[attr-defined]
        else:
            del self.fields["school"]
        if not with_status:
            del self.fields["status"]
