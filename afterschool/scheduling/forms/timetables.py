"""Forms: timetables (the calendar feed a parent creates for one of its children)."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.schools.models import Student


class CalendarFeedForm(forms.Form):
    """Parents choose the child; teachers and students subscribe to their own lessons (no field)."""

    student = forms.ChoiceField(label="孩子", required=False, error_messages={"invalid_choice": "请选择您的孩子"})

    def __init__(self, *args: Any, children: list[Student], ask_child: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ask_child:
            self.fields["student"].required = True
            self.fields["student"].error_messages["required"] = "请选择孩子"
            field: Any = self.fields["student"]
            field.choices = [("", "请选择")] + [(str(c.pk), c.name) for c in children]
        else:
            del self.fields["student"]
