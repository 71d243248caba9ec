"""Forms of the check-in area: the school's 考勤设置 and a venue's own area. Ranges come from the service's limits,
so a page and the API refuse the same values with the same Chinese messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from afterschool.attendance.models import AttendanceSettings
from afterschool.attendance.services.geofence import INT_LIMITS, UNITS

# The model's own names ("签到半径（米）") label the fields; the service's labels word the errors.
MODEL_LABELS = {field.name: str(field.verbose_name) for field in AttendanceSettings._meta.concrete_fields}


def _int_field(name: str, *, required: bool = True, help_text: str = "") -> forms.IntegerField:
    low, high, label = INT_LIMITS[name]
    unit = UNITS.get(name, "分钟")
    out_of_range = f"{label}须在 {low} 到 {high} {unit}之间"
    return forms.IntegerField(
        label=MODEL_LABELS[name], min_value=low, max_value=high,
        required=required, help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": f"请填写{label}", "invalid": f"{label}须是整数",
            "min_value": out_of_range, "max_value": out_of_range,
        },
    )  # fmt: skip


def _coordinate(label: str, low: int, high: int, *, required: bool) -> forms.DecimalField:
    message = f"{label}须在 {low} 到 {high} 之间"
    return forms.DecimalField(
        label=label, min_value=Decimal(low), max_value=Decimal(high), required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": f"请填写{label}", "invalid": f"{label}须是数字", "min_value": message,
                        "max_value": message},
    )  # fmt: skip


class SettingsForm(forms.Form):
    latitude = _coordinate("签到中心纬度", -90, 90, required=False)
    longitude = _coordinate("签到中心经度", -180, 180, required=False)
    radius_m = _int_field("radius_m", help_text="教师手机定位与签到中心的距离不超过此半径方可签到")
    checkin_opens_minutes = _int_field("checkin_opens_minutes", help_text="如 15：上课前 15 分钟起可签到")
    checkin_closes_minutes = _int_field("checkin_closes_minutes", help_text="如 10：上课后 10 分钟内仍可签到")
    checkout_opens_minutes = _int_field("checkout_opens_minutes")
    checkout_closes_minutes = _int_field("checkout_closes_minutes")
    max_accuracy_m = _int_field("max_accuracy_m", help_text="定位误差大于此值时仍可签到，但会被标记待核实")
    correction_hours = _int_field("correction_hours", help_text="下课后多少小时内可更正学生考勤")
    notify_guardians = forms.BooleanField(label="学生签到签退通知家长", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lng = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lng is None) and not self.has_error("latitude") and not self.has_error("longitude"):
            self.add_error("latitude" if lat is None else "longitude", "纬度和经度须同时填写")
        return data


class VenueAreaForm(forms.Form):
    latitude = _coordinate("纬度", -90, 90, required=True)
    longitude = _coordinate("经度", -180, 180, required=True)
    radius_m = _int_field("radius_m")
