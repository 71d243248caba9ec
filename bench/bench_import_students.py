"""Import a 5,000-student xlsx (6 grades × ~20 classes, two guardians each ≈ 10,000 parent accounts) twice.

The first run creates students, guardians, parent accounts and memberships; the second (same file) updates.
Uses the production password hasher (PBKDF2-SM3, 600,000 iterations) as the preferred one, like production.
Target: each run under 30 s.

    .venv/bin/python bench/bench_import_students.py
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time

from _setup import setup

STUDENTS = int(os.environ.get("BENCH_STUDENTS", "5000"))
GRADES = 6
CLASSES_PER_GRADE = 20


def build_file() -> bytes:
    from openpyxl import Workbook

    from afterschool.schools.services.importing import KINDS
    from afterschool.schools.services.importing.structure import GRADE_NAMES
    from afterschool.schools.tests.factories import make_id_number

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("学生")
    sheet.append(KINDS["students"].headers)
    for n in range(STUDENTS):
        grade = n % GRADES
        klass = (n // GRADES) % CLASSES_PER_GRADE + 1
        id_number = make_id_number(n, birth=dt.date(2019 - grade, 1 + n % 12, 1 + n % 28))
        sheet.append(
            [
                f"G{n:06d}",
                f"学生{n}",
                "男" if n % 2 else "女",
                f"{2019 - grade}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                GRADE_NAMES[grade],
                f"{klass}班",
                id_number if n < 1000 else "",  # make_id_number's sequence part repeats every 1,000
                f"父亲{n}",
                f"138{n:08d}",
                "父亲",
                f"母亲{n}",
                f"139{n:08d}",
                "母亲",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings

    from afterschool.accounts.choices import Role
    from afterschool.accounts.models import RoleMembership, User
    from afterschool.schools.models import Grade, Guardian, SchoolClass, Student
    from afterschool.schools.services.importing.structure import GRADE_NAMES
    from afterschool.schools.services.imports import import_run
    from afterschool.tenancy.actor import Actor
    from afterschool.tenancy.models import Region, School

    region = Region.objects.create(code="110108", name="海淀区", level="district")
    school = School.objects.create(code="2111080001", name="基准小学", region=region)
    admin = User.objects.create(username="bench_admin")
    membership = RoleMembership.objects.create(user=admin, role=Role.SCHOOL_ADMIN, school=school)
    actor = Actor(user=admin, membership=membership, client_ip="127.0.0.1")
    for level in range(1, GRADES + 1):
        grade = Grade.objects.create(school=school, level=level, name=GRADE_NAMES[level - 1])
        SchoolClass.objects.bulk_create(
            SchoolClass(school=school, grade=grade, name=f"{c}班") for c in range(1, CLASSES_PER_GRADE + 1)
        )
    started = time.perf_counter()
    content = build_file()
    print(f"file: {STUDENTS} students, {len(content) / 1024:.0f} KiB, built in {time.perf_counter() - started:.1f} s")
    hashers = ["afterschool.accounts.hashers.PBKDF2SM3PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        for label in ("create", "update"):
            started = time.perf_counter()
            result = import_run(actor=actor, kind="students", file=SimpleUploadedFile("students.xlsx", content))
            elapsed = time.perf_counter() - started
            print(
                f"{label}: {elapsed:.1f} s — created {result.created}, updated {result.updated}, "
                f"accounts created {result.accounts_created}"
            )
    print(
        f"rows: students {Student.objects.count()}, guardians {Guardian.objects.count()}, users {User.objects.count()}"
    )


if __name__ == "__main__":
    main()
