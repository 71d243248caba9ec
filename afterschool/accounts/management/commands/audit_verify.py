import sys

from django.core.management.base import BaseCommand

from afterschool.accounts.audit import audit_verify


class Command(BaseCommand):
    help = "校验审计日志的 HMAC-SM3 链：发现被修改、删除或缺失的记录时列出并以非零状态退出。"

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        report = audit_verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计日志完整：共校验 {report.checked} 条记录。"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        self.stderr.write(f"审计日志校验失败：{len(report.problems)} 处问题（共 {report.checked} 条记录）。")
        sys.exit(1)
