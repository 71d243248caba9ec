"""Forms of withdrawal and refunds."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from afterschool.payments.choices import RefundReason, RefundStatus

REASON_ERRORS = {"required": "请填写原因", "max_length": "原因最多 200 字"}


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="退课原因", max_length=200, error_messages=REASON_ERRORS, widget=forms.TextInput)


class RejectForm(forms.Form):
    reason = forms.CharField(label="驳回原因", max_length=200, error_messages=REASON_ERRORS, widget=forms.TextInput)


class SchoolRefundForm(forms.Form):
    amount_yuan = forms.DecimalField(
        label="退款金额（元）", min_value=Decimal("0.01"), max_value=Decimal("10000000"), decimal_places=2,
        error_messages={"required": "请填写退款金额", "invalid": "请填写有效的金额", "min_value": "退款金额须大于 0",
                        "max_value": "金额过大", "max_decimal_places": "金额最多两位小数"},
    )  # fmt: skip
    note = forms.CharField(label="说明", max_length=200, error_messages=REASON_ERRORS, widget=forms.TextInput)

    @property
    def amount_fen(self) -> int:
        return int(self.cleaned_data["amount_yuan"] * 100)


class RefundFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *RefundStatus.choices], required=False)
    reason = forms.ChoiceField(label="原因", choices=[("", "全部原因"), *RefundReason.choices], required=False)
    section = forms.IntegerField(label="课班", min_value=1, max_value=2**62, required=False)
