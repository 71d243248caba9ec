"""Forms of chapter materials: uploading one file for a chapter."""

from __future__ import annotations

from typing import Any

from django import forms

from ..services.materials import MAX_TITLE


class MaterialForm(forms.Form):
    chapter = forms.TypedChoiceField(
        label="章节", coerce=int, error_messages={"required": "请选择章节", "invalid_choice": "请选择本课程的章节"}
    )
    title = forms.CharField(
        label="标题", max_length=MAX_TITLE,
        error_messages={"required": "请填写资料标题", "max_length": f"资料标题最多 {MAX_TITLE} 字"},
    )  # fmt: skip
    file = forms.FileField(
        label="文件", help_text="文档 PDF/Word/PowerPoint/Excel，图片 JPG/PNG，音频 MP3/AAC，视频 MP4（H.264）",
        error_messages={"required": "请选择要上传的文件", "empty": "文件为空", "invalid": "请重新选择文件"},
    )  # fmt: skip

    def __init__(self, *args: Any, chapters: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chapter"].choices = [("", "请选择章节"), *chapters]  # type: ignore[attr-defined]
