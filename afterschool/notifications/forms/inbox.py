"""Forms of the notification centre and the outbox page (filters only)."""

from __future__ import annotations

from django import forms

from ..choices import Channel, NotificationKind


class NotificationFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    kind = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *NotificationKind.choices], required=False)
    unread = forms.BooleanField(label="只看未读", required=False)


class OutboxFilterForm(forms.Form):
    q = forms.CharField(label="接收人", max_length=64, required=False)
    channel = forms.ChoiceField(label="渠道", choices=[("", "全部渠道"), *Channel.choices], required=False)
