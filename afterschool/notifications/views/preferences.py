"""Pages: one's own notification preferences (通知设置): kinds × channels, saved in one POST."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from afterschool.core.errors import AppError
from afterschool.core.views import form_error_from

from ..choices import Channel, NotificationKind
from ..forms.preferences import PreferencesForm
from ..selectors import preferences as selectors
from ..services import preferences as services


@login_required
def preferences_edit(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    chosen = selectors.preferences_of(actor=actor)
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, initial=PreferencesForm.initial_from(chosen)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.preferences_save(actor=actor, choices=form.as_preferences())
            except AppError as exc:
                form_error_from(form, exc)
            else:
                messages.success(request, "通知设置已保存。")
                return redirect("notifications:preferences")
        ticked = set(request.POST.getlist("choice"))
    else:
        ticked = {f"{kind}:{channel}" for kind, channels in chosen.items() for channel in channels}
    rows = [
        {"kind": kind, "label": label,
         "cells": [{"value": f"{kind}:{ch}", "label": ch_label, "checked": f"{kind}:{ch}" in ticked}
                   for ch, ch_label in Channel.choices]}
        for kind, label in NotificationKind.choices
    ]  # fmt: skip
    context = {"form": form, "rows": rows, "channels": Channel.choices}
    return render(request, "notifications/preferences/edit.html", context)


urlpatterns = [
    path("preferences/", preferences_edit, name="preferences"),
]
