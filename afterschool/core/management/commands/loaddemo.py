from django.core.management.base import BaseCommand

from afterschool.core.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "载入演示数据（一个区县、3 所学校、2 家机构、每个角色一个演示账号；海淀实验小学含约 960 名学生、监护人、"
        "教职工、场地、学期校历与一年级课表）；可重复执行。"
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        load_demo()
        if options["quiet"]:
            return
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<13} {login.username:<12} {login.note}")
