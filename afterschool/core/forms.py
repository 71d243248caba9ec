"""Form bases shared by every domain's pages."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.tenancy.actor import Actor


class ActorModelForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm that knows the actor: it offers only choices inside the actor's scope."""

    self_fields: set[str] | None = None
    self_role: str | None = None

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        if self.self_role and actor.has_role(self.self_role) and self.self_fields is not None:
            for name in list(self.fields):
                if name not in self.self_fields:
                    del self.fields[name]


class DateRangeFilterForm(forms.Form):
    """Base of the list filters with a date range. Each form declares its own date fields (labels differ); an end
    before the start is an error on the end field, and a `q` search loses NUL characters and surrounding spaces."""

    date_range: tuple[str, str] = ("date_from", "date_to")

    def clean_q(self) -> str:
        return (self.cleaned_data.get("q") or "").replace("\x00", "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start_name, end_name = self.date_range
        start, end = data.get(start_name), data.get(end_name)
        if start and end and start > end:
            self.add_error(end_name, "结束日期不能早于开始日期")
        return data
