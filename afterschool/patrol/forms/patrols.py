"""Forms of patrols: the patrol of a lesson (one tap per rubric item) and the list's filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from afterschool.core.forms import DateRangeFilterForm

from ..choices import SCALE_RANGE
from ..models import PatrolCriterion

_DATE = {"invalid": "日期格式不正确"}
PRESENT_CHOICES = [("1", "在岗"), ("0", "不在岗")]


class MultiplePhotoInput(forms.FileInput):
    """<input type=file multiple accept="image/*" capture="environment">: the phone offers its camera."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"accept": "image/*", "capture": "environment", "multiple": True, **(attrs or {})})


class MultiplePhotoField(forms.FileField):
    widget = MultiplePhotoInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files if f]


class PatrolForm(forms.Form):
    """The rubric's items as `score_<id>` (tap one of 1…5 or 0…10), teacher present, head count, comment, photos."""

    teacher_present = forms.ChoiceField(
        label="教师在岗", choices=PRESENT_CHOICES, initial="1", widget=forms.RadioSelect,
        error_messages={"required": "请选择教师是否在岗", "invalid_choice": "请选择教师是否在岗"},
    )  # fmt: skip
    comment = forms.CharField(
        label="评语", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "评语最多 500 个字"},
    )  # fmt: skip
    photos = MultiplePhotoField(label="照片（最多 9 张）", required=False)

    def __init__(self, *args: Any, criteria: Sequence[PatrolCriterion], head_count_max: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.fields["head_count"] = forms.IntegerField(
            label="实到人数", min_value=0, max_value=head_count_max,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages={"required": "请填写实到人数", "invalid": "实到人数应为整数",
                            "min_value": "实到人数不能为负数", "max_value": f"实到人数不能超过 {head_count_max}"},
        )  # fmt: skip
        for criterion in self.criteria:
            low, high = SCALE_RANGE[criterion.scale]
            self.fields[f"score_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.name, help_text=criterion.description, widget=forms.RadioSelect,
                choices=[(str(n), str(n)) for n in range(low, high + 1)],
                error_messages={"required": f"请为“{criterion.name}”打分",
                                "invalid_choice": f"“{criterion.name}”的分数应在 {low}–{high} 之间"},
            )  # fmt: skip
        self.order_fields([f"score_{c.pk}" for c in self.criteria] + ["teacher_present", "head_count"])

    def score_rows(self) -> list[dict[str, Any]]:
        """Per item: the criterion, its bound field, the choices and the chosen value (for the tap buttons)."""
        rows = []
        for criterion in self.criteria:
            bound = self[f"score_{criterion.pk}"]
            value = str(bound.value() or "")
            rows.append(
                {
                    "criterion": criterion,
                    "field": bound,
                    "name": bound.html_name,
                    "choices": [c for c, _ in bound.field.choices],  # type: ignore[attr-defined]
                    "value": value,
                }
            )
        return rows

    def scores(self) -> dict[int, int]:
        return {c.pk: int(self.cleaned_data[f"score_{c.pk}"]) for c in self.criteria}


class PatrolFilterForm(DateRangeFilterForm):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    date_from = forms.DateField(label="日期从", required=False, error_messages=_DATE)
    date_to = forms.DateField(label="至", required=False, error_messages=_DATE)
    section = forms.TypedChoiceField(label="课班", coerce=int, empty_value=None, required=False)
    teacher = forms.TypedChoiceField(label="任课教师", coerce=int, empty_value=None, required=False)
    patroller = forms.TypedChoiceField(label="巡课人", coerce=int, empty_value=None, required=False)
    teacher_absent = forms.BooleanField(label="只看教师不在岗", required=False)

    def __init__(self, *args: Any, choices: dict[str, list[tuple[int, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        empty = {"section": "全部课班", "teacher": "全部任课教师", "patroller": "全部巡课人"}
        for name, label in empty.items():
            field = self.fields[name]
            field.choices = [("", label), *[(str(pk), text) for pk, text in choices.get(name, [])]]  # type: ignore[attr-defined]
            field.error_messages["invalid_choice"] = "请从列表中选择"
