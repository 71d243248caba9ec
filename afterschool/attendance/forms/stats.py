"""Forms of the attendance statistics: the filters of the three pages (all optional; the dates default to the
current term so far)."""

from __future__ import annotations

from django import forms

from afterschool.attendance.selectors.stats import GROUPS
from afterschool.core.forms import DateRangeFilterForm

_DATE = {"invalid": "日期格式不正确，如 2026-11-10"}
ID_MAX = 2**62


class StatsFilterForm(DateRangeFilterForm):
    """What every statistics page filters by."""

    date_from = forms.DateField(label="开始日期", required=False, error_messages=_DATE)
    date_to = forms.DateField(label="结束日期", required=False, error_messages=_DATE)
    school = forms.IntegerField(label="学校", min_value=1, max_value=ID_MAX, required=False)
    section = forms.IntegerField(label="课班", min_value=1, max_value=ID_MAX, required=False)
    q = forms.CharField(label="搜索", max_length=64, required=False)


class StudentStatsFilterForm(StatsFilterForm):
    grade = forms.IntegerField(label="年级", min_value=1, max_value=ID_MAX, required=False)
    school_class = forms.IntegerField(label="班级", min_value=1, max_value=ID_MAX, required=False)
    group_by = forms.ChoiceField(label="统计方式", choices=list(GROUPS.items()), required=False)
