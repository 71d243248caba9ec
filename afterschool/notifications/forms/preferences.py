"""The preferences form: one checkbox per kind and channel, posted together as "kind:channel" values."""

from __future__ import annotations

from typing import Any

from django import forms

from ..choices import Channel, NotificationKind


def _options() -> list[tuple[str, str]]:
    return [
        (f"{kind}:{channel}", f"{kind_label} · {channel_label}")
        for kind, kind_label in NotificationKind.choices
        for channel, channel_label in Channel.choices
    ]


class PreferencesForm(forms.Form):
    choice = forms.MultipleChoiceField(
        label="接收渠道", required=False, choices=_options, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "无效的选项：%(value)s（未知的通知类型或渠道）",
                        "invalid_list": "提交的选项格式不对"},
    )  # fmt: skip

    @classmethod
    def initial_from(cls, chosen: dict[str, list[str]]) -> dict[str, Any]:
        return {"choice": [f"{kind}:{channel}" for kind, channels in chosen.items() for channel in channels]}

    def as_preferences(self) -> dict[str, list[str]]:
        """{kind: [channels]} for every kind (unticked kinds: in-app only)."""
        chosen: dict[str, list[str]] = {kind: [] for kind in NotificationKind.values}
        for value in self.cleaned_data.get("choice") or []:
            kind, _, channel = value.partition(":")
            chosen[kind].append(channel)
        return chosen
