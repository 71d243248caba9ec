"""Forms of course selection and orders."""

from __future__ import annotations

from typing import Any

from django import forms

from afterschool.payments.choices import OrderStatus
from afterschool.scheduling.models import Section


class ConfirmForm(forms.Form):
    """Confirm a selection; `with_materials` only when materials are optional (not included) and cost something."""

    with_materials = forms.BooleanField(label="同时购买材料", required=False)

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if section.materials_included or not section.materials_fee_fen:
            del self.fields["with_materials"]


class CloseForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.TextInput)

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        self.fields["reason"].error_messages = {"required": "请填写关闭原因", "max_length": "原因最多 200 字"}


class OrderFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=64, required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *OrderStatus.choices], required=False)
    section = forms.IntegerField(label="课班", min_value=1, max_value=2**62, required=False)
    date_from = forms.DateField(label="下单日期从", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
