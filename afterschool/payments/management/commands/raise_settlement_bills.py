"""raise_settlement_bills --period 2026-11: the bank side raises the settlement bill of every school and
organization whose terms cover that month (raised_by bank, audited as the system)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from afterschool.payments.selectors.settlement import parse_month
from afterschool.payments.services.settlement import raise_due_bills
from afterschool.tenancy.actor import system_actor


class Command(BaseCommand):
    help = "按月为每个有结算约定的学校与机构发起结算单（银行侧）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="结算月份，如 2026-11")

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(str(options["period"]))
        if month is None:
            raise CommandError("--period 须为 YYYY-MM，如 2026-11")
        result = raise_due_bills(actor=system_actor(), period_start=month[0], period_end=month[1])
        for bill_no in result["raised"]:
            self.stdout.write(f"已发起 {bill_no}")
        for reason in result["skipped"]:
            self.stdout.write(f"跳过 {reason}")
        self.stdout.write(self.style.SUCCESS(f"共发起 {len(result['raised'])} 张，跳过 {len(result['skipped'])} 个"))
