"""Forms of the course catalogue pages. The services re-check every rule; these give early Chinese errors.

A school admin or an organization writes for its own school/organization; only a system admin picks the owner.
Prices are entered in 元 with at most 2 decimals and stored as integer 分.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from afterschool.core.choices import CourseCategory
from afterschool.tenancy import selectors as tenancy_selectors
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, School

from ..models import Chapter, Course, Material
from ..selectors.catalogue import GRADE_CHOICES
from ..services.catalogue import MAX_PRICE_FEN, MAX_QUANTITY


class CourseForm(forms.Form):
    owner_school = forms.ModelChoiceField(
        label="所属学校", queryset=School.objects.none(), required=False, empty_label="（不选）"
    )
    owner_organization = forms.ModelChoiceField(
        label="所属机构",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="（不选）",
        help_text="学校与机构二选一",
    )
    name = forms.CharField(label="课程名称", max_length=64)
    category = forms.ChoiceField(label="课程类别", choices=[("", "请选择"), *CourseCategory.choices])
    introduction = forms.CharField(
        label="课程简介", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    grade_levels = forms.TypedMultipleChoiceField(
        label="适用年级",
        choices=GRADE_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "grade-checks"}),
        error_messages={"required": "请至少选择一个适用年级"},
    )

    def __init__(self, *args: Any, actor: Actor, instance: Course | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "category": instance.category,
                "introduction": instance.introduction,
                "grade_levels": [str(level) for level in instance.grade_levels or []],
            }
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.instance = instance
        if actor.is_system_admin and instance is None:
            self.fields["owner_school"].queryset = tenancy_selectors.school_list(actor=actor)  # type: ignore[attr-defined]
            self.fields["owner_organization"].queryset = tenancy_selectors.organization_list(actor=actor)  # type: ignore[attr-defined]
        else:
            del self.fields["owner_school"]
            del self.fields["owner_organization"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "owner_school" in self.fields:
            school, organization = data.get("owner_school"), data.get("owner_organization")
            if bool(school) == bool(organization):
                self.add_error("owner_school", "请选择课程所属的学校或机构（二者选其一）")
        return data


class ChapterForm(forms.Form):
    title = forms.CharField(label="章节标题", max_length=128)
    goals = forms.CharField(label="教学目标", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, instance: Chapter | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"title": instance.title, "goals": instance.goals}
        super().__init__(*args, **kwargs)


class MaterialForm(forms.Form):
    name = forms.CharField(label="材料名称", max_length=64)
    introduction = forms.CharField(
        label="材料简介", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    quantity = forms.IntegerField(
        label="数量",
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={"min_value": "数量至少为 1", "max_value": f"数量不能超过 {MAX_QUANTITY}"},
    )
    price_yuan = forms.DecimalField(
        label="单价（元）",
        min_value=Decimal("0"),
        max_value=Decimal(MAX_PRICE_FEN) / 100,
        max_digits=7,
        decimal_places=2,
        initial=Decimal("0.00"),
        help_text="最多两位小数，例如 35.50",
        error_messages={
            "invalid": "请输入金额（元），最多两位小数",
            "min_value": "单价不能为负数",
            "max_value": "单价不能超过 99999.99 元",
            "max_decimal_places": "最多两位小数",
            "max_digits": "单价不能超过 99999.99 元",
            "max_whole_digits": "单价不能超过 99999.99 元",
        },
    )

    def __init__(self, *args: Any, instance: Material | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "introduction": instance.introduction,
                "quantity": instance.quantity,
                "price_yuan": (Decimal(instance.price_fen) / 100).quantize(Decimal("0.01")),
            }
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "introduction": data.get("introduction") or "",
            "quantity": data["quantity"],
            "price_fen": int(data["price_yuan"] * 100),
        }


class CourseFileForm(forms.Form):
    file = forms.FileField(label="文件", error_messages={"required": "请选择要上传的文件", "empty": "文件为空"})
    name = forms.CharField(label="显示名称", max_length=128, required=False, help_text="留空则使用文件名")
    chapter = forms.TypedChoiceField(label="归属", coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, chapters: list[Chapter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chapters = {c.pk: c for c in chapters}
        self.fields["chapter"].choices = [("", "课程附件"), *[(c.pk, f"资源：{c}") for c in chapters]]  # type: ignore[attr-defined]
        self.fields[
            "file"
        ].help_text = "支持 PDF、Word、PowerPoint、Excel 文档，JPG、PNG 图片，MP3、AAC 音频，MP4（H.264/AAC）视频"

    def chosen_chapter(self) -> Chapter | None:
        chapter_id = self.cleaned_data.get("chapter")
        return self.chapters.get(chapter_id) if chapter_id else None
