"""Forms of course evaluations: the family's scores (four rows of five stars and a comment) and the filters of the
teacher's, the statistics' and the section list's pages (all optional)."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.core.choices import CourseCategory
from afterschool.core.forms import DateRangeFilterForm

from ..choices import EVALUATION_ASPECTS
from ..selectors.evaluations import GROUPS

ID_MAX = 2**62
STARS = [(n, f"{n} 星") for n in range(1, 6)]
STAR_WORDS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}
_DATE = {"invalid": "日期格式不正确，如 2026-11-10"}


class EvaluationForm(forms.Form):
    """Four aspects, each one tap on a star (1–5), and an optional comment."""

    comment = forms.CharField(
        label="评语（选填）", max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500, "placeholder": "说说孩子的收获或您的建议（选填）"}),
        error_messages={"max_length": "评语最多 500 字（现在 %(show_value)d 字）"},
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for aspect, label in EVALUATION_ASPECTS:
            self.fields[aspect] = forms.TypedChoiceField(
                label=label, choices=STARS, coerce=int, widget=forms.RadioSelect,
                error_messages={
                    "required": f"请为“{label}”打分（1–5 星）", "invalid_choice": f"请为“{label}”打 1–5 星",
                },
            )  # fmt: skip
        self.order_fields([aspect for aspect, _ in EVALUATION_ASPECTS] + ["comment"])

    def clean_comment(self) -> str:
        text = (self.cleaned_data.get("comment") or "").strip()
        if "\x00" in text:
            raise forms.ValidationError("评语含有不允许的字符")
        return text

    def scores(self) -> dict[str, int]:
        return {aspect: self.cleaned_data[aspect] for aspect, _ in EVALUATION_ASPECTS}

    def rows(self) -> list[dict[str, Any]]:
        """The star rows as the template draws them: the aspect, its field, the chosen value, the five choices."""
        out = []
        for aspect, label in EVALUATION_ASPECTS:
            bound = self[aspect]
            raw = bound.value()
            chosen = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else 0
            out.append({
                "name": aspect, "label": label, "field": bound, "value": chosen,
                "stars": [{"value": n, "word": STAR_WORDS[n], "lit": n <= chosen, "checked": n == chosen}
                          for n in range(1, 6)],
            })  # fmt: skip
        return out


class _Filters(DateRangeFilterForm):
    term = forms.ChoiceField(label="学期", required=False, choices=[("", "全部学期")])
    date_from = forms.DateField(label="开始日期", required=False, error_messages=_DATE)
    date_to = forms.DateField(label="结束日期", required=False, error_messages=_DATE)
    q = forms.CharField(label="搜索", max_length=64, required=False)

    def __init__(self, *args: Any, terms: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        term_field = self.fields["term"]
        assert isinstance(term_field, forms.ChoiceField)
        term_field.choices = [("", "全部学期"), *(terms or [])]

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is shown on the form and left out)."""
        self.is_valid()
        data = dict(getattr(self, "cleaned_data", {}))
        return {k: v for k, v in data.items() if v not in (None, "", False)}


class TeacherFilterForm(_Filters):
    section = forms.IntegerField(label="课班", min_value=1, max_value=ID_MAX, required=False)


class StatsFilterForm(_Filters):
    group_by = forms.ChoiceField(label="统计方式", choices=list(GROUPS.items()), required=False)
    school = forms.IntegerField(label="学校", min_value=1, max_value=ID_MAX, required=False)
    category = forms.ChoiceField(label="课程类别", choices=[("", "全部类别"), *CourseCategory.choices], required=False)


class ListFilterForm(_Filters):
    with_comment = forms.BooleanField(label="只看有评语的", required=False)
