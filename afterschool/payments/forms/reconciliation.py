"""Forms of reconciliation: the statement upload and the item filters."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.payments.choices import ReconciliationKind
from afterschool.payments.services.reconciliation import MAX_STATEMENT_BYTES


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label="对账单文件（CSV）",
        error_messages={"required": "请选择对账单文件", "empty": "对账单文件为空", "invalid": "请选择对账单文件"},
    )
    statement_date = forms.DateField(
        label="对账日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="对账单没有明细时必填；有明细时按明细日期", error_messages={"invalid": "日期格式不正确"},
    )  # fmt: skip

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise forms.ValidationError("只能上传 CSV 格式的对账单（.csv）")
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError("对账单文件过大（不超过 5 MB）")
        if upload.size == 0:
            raise forms.ValidationError("对账单文件为空")
        return upload


class ItemFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    school = forms.IntegerField(label="学校", min_value=1, max_value=2**62, required=False)
    kind = forms.ChoiceField(label="结果", choices=[("", "全部结果"), *ReconciliationKind.choices], required=False)
    txn_type = forms.ChoiceField(
        label="交易类型", choices=[("", "全部类型"), ("payment", "支付"), ("refund", "退款")], required=False
    )
    date_from = forms.DateField(label="对账日期从", required=False, error_messages={"invalid": "日期格式不正确"})
    date_to = forms.DateField(label="至", required=False, error_messages={"invalid": "日期格式不正确"})


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(label="对账日期从", required=False, error_messages={"invalid": "日期格式不正确"})
    date_to = forms.DateField(label="至", required=False, error_messages={"invalid": "日期格式不正确"})
