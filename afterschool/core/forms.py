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
