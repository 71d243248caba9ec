"""forms: autoschedule (排课条件 of a section, new run)."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.schools.models import Venue
from afterschool.tenancy.actor import Actor

from ..models import Section, TimeSlot
from ..selectors import autoschedule as selectors


class RunForm(forms.Form):
    term: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="学期", queryset=None, error_messages={"required": "请选择学期"}
    )  # type: ignore[arg-type]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = selectors.term_choices(actor=actor)  # type: ignore[attr-defined]


class ScheduleInputsForm(forms.Form):
    sessions_per_week = forms.IntegerField(label="每周次数", min_value=1, max_value=7)
    allowed_slots: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="可选时段",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # type: ignore[arg-type]
    )
    preferred_slots: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="优先时段",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # type: ignore[arg-type]
    )
    candidate_venues: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="候选场地", queryset=None, required=False, widget=forms.CheckboxSelectMultiple,  # type: ignore[arg-type]
        help_text="容量小于课班最多人数的场地不参与排课",
    )  # fmt: skip

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "sessions_per_week": section.sessions_per_week,
            "allowed_slots": list(section.allowed_slots.all()),
            "preferred_slots": list(section.preferred_slots.all()),
            "candidate_venues": list(section.candidate_venues.all()),
        })  # fmt: skip
        super().__init__(*args, **kwargs)
        slots = TimeSlot.objects.filter(school_id=section.school_id).order_by("weekday", "starts_at")
        self.fields["allowed_slots"].queryset = slots  # type: ignore[attr-defined]
        self.fields["preferred_slots"].queryset = slots  # type: ignore[attr-defined]
        venues = Venue.objects.filter(school_id=section.school_id, is_active=True).order_by("name")
        self.fields["candidate_venues"].queryset = venues  # type: ignore[attr-defined]
        self.fields["candidate_venues"].label_from_instance = lambda v: f"{v.name}（{v.capacity} 人）"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        allowed = set(data.get("allowed_slots") or [])
        if not set(data.get("preferred_slots") or []) <= allowed:
            self.add_error("preferred_slots", "优先时段须在可选时段之内")
        return data
