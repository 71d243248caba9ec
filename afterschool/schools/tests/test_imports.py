"""Batch import from xlsx: file checks, every row rule, all-or-nothing, re-import, accounts, pages, API, tenancy."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from afterschool.accounts.choices import AuditEventType, Role
from afterschool.accounts.models import AuditEvent, RoleMembership, User
from afterschool.accounts.tests.factories import MembershipFactory, UserFactory
from afterschool.schools.models import Grade, Guardian, SchoolClass, Staff, Student, TimetableEntry, Venue
from afterschool.schools.selectors.imports import import_error_file_get
from afterschool.schools.services.importing import KINDS, ImportFileError
from afterschool.schools.services.importing.accounts import INITIAL_PASSWORD_ITERATIONS
from afterschool.schools.services.imports import ImportRejected, import_passwords_take, import_run, import_template
from afterschool.schools.tests.factories import (
    GradeFactory,
    GuardianFactory,
    SchoolClassFactory,
    StaffFactory,
    StudentFactory,
    StudentGuardianFactory,
    TimetableEntryFactory,
    make_id_number,
)

STUDENT_HEADERS = KINDS["students"].headers


def xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "import.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def student_row(n: int, **overrides: Any) -> list[Any]:
    values = {
        "学籍号": f"G{n:04d}",
        "姓名": f"学生{n}",
        "性别": "男",
        "出生日期": "2017-03-01",
        "年级": "一年级",
        "班级": "1班",
        "身份证号": make_id_number(n),
        "监护人1姓名": f"家长{n}",
        "监护人1手机号": f"1390000{n:04d}",
        "监护人1关系": "父亲",
        "监护人2姓名": "",
        "监护人2手机号": "",
        "监护人2关系": "",
    }
    values.update(overrides)
    return [values[h] for h in STUDENT_HEADERS]


def students_file(*rows: list[Any]) -> SimpleUploadedFile:
    return upload(xlsx(STUDENT_HEADERS, list(rows)))


@pytest.fixture
def classes(world: Any) -> dict[str, SchoolClass]:
    grade = GradeFactory(school=world.school_a, level=1, name="一年级")
    grade2 = GradeFactory(school=world.school_a2, level=1, name="一年级")
    return {
        "a1": SchoolClassFactory(grade=grade, name="1班"),
        "a2": SchoolClassFactory(grade=grade, name="2班"),
        "other_school": SchoolClassFactory(grade=grade2, name="1班"),
    }


def run_students(world: Any, *rows: list[Any], key: str = "school_a") -> Any:
    return import_run(actor=world.actor(key), kind="students", file=students_file(*rows))


def rejected(world: Any, *rows: list[Any]) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as info:
        run_students(world, *rows)
    return [(e.row, e.column, e.message) for e in info.value.errors]


# --- students: happy path, re-import, accounts -------------------------------------------------------------


def test_given_valid_student_file_when_imported_then_students_guardians_and_parent_accounts_exist(world, classes):
    second = {"监护人2姓名": "李娜", "监护人2手机号": "13800000002", "监护人2关系": "母亲"}
    result = run_students(world, student_row(1, **second), student_row(2, 班级="2班", 出生日期=dt.datetime(2017, 3, 1)))

    assert (result.created, result.updated, result.accounts_created) == (2, 0, 3)
    student = Student.objects.get(school=world.school_a, student_number="G0001")
    assert student.school_class == classes["a1"] and student.id_number == make_id_number(1)
    assert {(link.guardian.name, link.relation, link.is_primary) for link in student.guardian_links.all()} == {
        ("家长1", "father", True),
        ("李娜", "mother", False),
    }
    parent = User.objects.get(username="13900000001")
    assert parent.must_change_password and parent.mobile == "13900000001"
    assert f"pbkdf2_sm3${INITIAL_PASSWORD_ITERATIONS}$" in parent.password
    assert RoleMembership.objects.filter(user=parent, role=Role.PARENT, school=world.school_a, is_active=True).exists()
    assert Guardian.objects.get(user=parent).name == "家长1"
    imports = AuditEvent.objects.filter(event=AuditEventType.CREATE, detail__import="students")
    assert imports.count() == 1 and imports.get().detail["created"] == 2
    assert AuditEvent.objects.filter(event=AuditEventType.USER_CREATE).count() == 1  # per import, not per account


def test_given_import_when_passwords_file_downloaded_then_each_works_once_and_is_audited(world, classes):
    result = run_students(world, student_row(1), student_row(2))
    actor = world.actor("school_a")

    content = import_passwords_take(actor=actor, token=result.passwords_token)

    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, max_row=3, values_only=True))
    passwords = {r[0]: r[3] for r in rows}
    assert len(set(passwords.values())) == 2  # never shared
    for username, password in passwords.items():
        assert User.objects.get(username=username).check_password(password)
    assert AuditEvent.objects.filter(event=AuditEventType.EXPORT, detail__export="import_initial_passwords").exists()
    with pytest.raises(Exception, match="不存在"):
        import_passwords_take(actor=actor, token=result.passwords_token)


def test_given_same_file_when_imported_twice_then_updates_without_duplicates(world, classes):
    run_students(world, student_row(1), student_row(2))
    counts = (Student.objects.count(), Guardian.objects.count(), User.objects.count(), RoleMembership.objects.count())

    result = run_students(world, student_row(1, 姓名="改名", 班级="2班"), student_row(2))

    assert (result.created, result.updated, result.accounts_created) == (0, 2, 0)
    assert counts == (
        Student.objects.count(),
        Guardian.objects.count(),
        User.objects.count(),
        RoleMembership.objects.count(),
    )
    student = Student.objects.get(student_number="G0001")
    assert (student.name, student.school_class) == ("改名", classes["a2"])


def test_given_reimport_with_other_guardian_when_imported_then_guardian_list_is_replaced(world, classes):
    run_students(world, student_row(1))
    run_students(world, student_row(1, 监护人1姓名="新家长", 监护人1手机号="13700000009"))
    student = Student.objects.get(student_number="G0001")
    assert [g.name for g in student.guardians.all()] == ["新家长"]


def test_given_user_with_guardian_mobile_when_imported_then_account_linked_not_duplicated(world, classes):
    teacher = UserFactory(username="teacher_x")
    teacher.set_mobile("13900000001")
    teacher.save()
    MembershipFactory(user=teacher, role=Role.TEACHER, school=world.school_a)
    users = User.objects.count()

    result = run_students(world, student_row(1))

    assert (result.accounts_created, result.accounts_linked, result.passwords_token) == (0, 1, None)
    assert User.objects.count() == users
    assert Guardian.objects.get().user == teacher
    assert RoleMembership.objects.filter(user=teacher, role=Role.PARENT, school=world.school_a).exists()


def test_given_guardian_known_in_other_school_when_imported_then_reused_and_not_renamed(world, classes):
    other = StudentFactory(school_class=classes["other_school"])
    guardian = GuardianFactory(name="原名", mobile="13900000001")
    StudentGuardianFactory(student=other, guardian=guardian)

    run_students(world, student_row(1, 监护人1姓名="别名"))

    assert Guardian.objects.count() == 1
    guardian.refresh_from_db()
    assert guardian.name == "原名" and guardian.students.count() == 2


def test_given_username_taken_by_other_account_when_imported_then_row_error(world, classes):
    UserFactory(username="13900000001")
    assert rejected(world, student_row(1)) == [
        (2, "监护人1手机号", "该手机号已被其他账号用作用户名，无法为此监护人开通家长账号")
    ]


# --- students: every row rule and all-or-nothing -----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"姓名": ""}, "姓名", "必填"),
        ({"学籍号": "  "}, "学籍号", "必填"),
        ({"性别": "未知"}, "性别", "无法识别"),
        ({"身份证号": "110108201703010010"}, "身份证号", "校验位"),
        ({"身份证号": "1101082017"}, "身份证号", "格式"),
        ({"身份证号": "110108201702300017"}, "身份证号", "出生日期不存在"),
        ({"出生日期": "2017-02-30"}, "出生日期", "日期不存在"),
        ({"出生日期": "2017年3月1日"}, "出生日期", "格式"),
        ({"出生日期": "2016-03-01"}, "出生日期", "不一致"),
        ({"监护人1手机号": "1234567"}, "监护人1手机号", "手机号格式"),
        ({"监护人1关系": "邻居"}, "监护人1关系", "无法识别"),
        ({"监护人2姓名": "李娜", "监护人2关系": "母亲"}, "监护人2手机号", "必填"),
        ({"监护人2姓名": "李娜", "监护人2手机号": "13900000002", "监护人2关系": "母亲"}, "监护人2手机号", "相同"),
        ({"年级": "五年级"}, "年级", "不存在"),
        ({"班级": "9班"}, "班级", "没有"),
    ],
)
def test_given_invalid_cell_when_imported_then_row_error_and_nothing_written(
    world, classes, overrides, column, fragment
):
    errors = rejected(world, student_row(1), student_row(2, **overrides))
    assert [(row, col) for row, col, _ in errors] == [(3, column)]
    assert fragment in errors[0][2]
    assert Student.objects.count() == Guardian.objects.count() == 0
    assert not User.objects.filter(username="13900000001").exists()


def test_given_slash_date_text_when_imported_then_accepted(world, classes):
    run_students(world, student_row(1, 出生日期="2017/03/01"))
    assert Student.objects.get().birth_date == dt.date(2017, 3, 1)


def test_given_duplicates_inside_file_when_imported_then_later_rows_flagged(world, classes):
    errors = rejected(
        world,
        student_row(1),
        student_row(1, 身份证号=make_id_number(2)),
        student_row(3, 身份证号=make_id_number(1)),
        student_row(4, 监护人1手机号="13900000001", 监护人1姓名="另一个名字"),
    )
    assert errors == [
        (3, "学籍号", "与第 2 行的学籍号重复"),
        (4, "身份证号", "与第 2 行的身份证号重复"),
        (5, "监护人1姓名", "同一手机号在第 2 行的监护人姓名为“家长1”，请保持一致"),
    ]


def test_given_id_number_of_other_student_when_imported_then_conflict(world, classes):
    StudentFactory(school_class=classes["a1"], student_number="OLD1", id_number=make_id_number(1))
    assert rejected(world, student_row(1)) == [(2, "身份证号", "该身份证号已被本校学籍号为 OLD1 的学生使用")]


def test_given_siblings_sharing_a_parent_when_imported_then_one_guardian(world, classes):
    run_students(world, student_row(1), student_row(2, 监护人1手机号="13900000001", 监护人1姓名="家长1"))
    assert Guardian.objects.count() == 1 and User.objects.filter(username="13900000001").count() == 1


def test_given_rejected_import_when_error_copy_downloaded_then_it_has_error_column(world, classes):
    with pytest.raises(ImportRejected) as info:
        run_students(world, student_row(1), student_row(2, 性别="X"))
    content = import_error_file_get(actor=world.actor("school_a"), token=info.value.token)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误" and rows[1][-1] in ("", None) and "性别" in rows[2][-1]
    with pytest.raises(Exception, match="不存在"):
        import_error_file_get(actor=world.actor("school_a2"), token=info.value.token)


# --- malformed files ---------------------------------------------------------------------------------------


def _file_error(world: Any, content: bytes) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        import_run(actor=world.actor("school_a"), kind="students", file=upload(content))
    return info.value


def test_given_not_xlsx_when_imported_then_clear_error(world):
    assert _file_error(world, b"name,mobile\n").code == "import_not_xlsx"
    assert _file_error(world, b"PK\x03\x04 not really a zip").code == "import_not_xlsx"


def test_given_zip_that_is_not_a_workbook_when_imported_then_clear_error(world):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert _file_error(world, buffer.getvalue()).code == "import_not_xlsx"


def test_given_empty_file_or_headers_only_when_imported_then_clear_error(world):
    assert _file_error(world, b"").code == "import_empty"
    assert _file_error(world, xlsx([], [])).code == "import_empty"
    assert _file_error(world, xlsx(STUDENT_HEADERS, [])).code == "import_empty"


def test_given_wrong_headers_when_imported_then_missing_and_unknown_named(world):
    headers = [h for h in STUDENT_HEADERS if h != "姓名"] + ["备注"]
    error = _file_error(world, xlsx(headers, [["x"] * len(headers)]))
    assert error.code == "import_headers"
    assert error.detail["missing"] == ["姓名"] and error.detail["unknown"] == ["备注"]
    assert "姓名" in error.message and "备注" in error.message


def test_given_formula_when_imported_then_refused(world, classes):
    row = student_row(1, 姓名="=1+1")
    error = _file_error(world, xlsx(STUDENT_HEADERS, [row]))
    assert error.code == "import_formula" and "B2" in error.message


@override_settings(AFTERSCHOOL_IMPORT_MAX_BYTES=1000)
def test_given_file_over_limit_when_imported_then_refused(world, classes):
    error = _file_error(world, xlsx(STUDENT_HEADERS, [student_row(n) for n in range(1, 50)]))
    assert error.code == "import_too_large" and error.status == 413


# --- other kinds -------------------------------------------------------------------------------------------


def _run(world: Any, kind: str, rows: list[list[Any]], key: str = "school_a") -> Any:
    return import_run(actor=world.actor(key), kind=kind, file=upload(xlsx(KINDS[kind].headers, rows)))


def test_given_staff_file_when_imported_twice_then_teacher_accounts_once_and_updates(world):
    rows = [["T1", "王老师", "13600000001", "语文", "任课教师、班主任"], ["T2", "赵老师", "", "数学", ""]]
    first = _run(world, "staff", rows)
    second = _run(world, "staff", [["T1", "王老师", "13600000001", "语文、美术", "班主任"]])
    assert (first.created, first.accounts_created, second.updated, second.accounts_created) == (2, 1, 1, 0)
    staff = Staff.objects.get(employee_number="T1")
    assert staff.subjects == "语文、美术" and staff.roles == ["head_teacher"]
    assert staff.user.username == "13600000001" and staff.user.must_change_password
    assert RoleMembership.objects.filter(user=staff.user, role=Role.TEACHER, school=world.school_a).exists()
    assert Staff.objects.get(employee_number="T2").user is None


def test_given_staff_rows_with_problems_when_imported_then_each_flagged(world):
    StaffFactory(school=world.school_a, employee_number="OLD", mobile="13600000009")
    with pytest.raises(ImportRejected) as info:
        _run(world, "staff", [["T1", "甲", "13600000009", "", ""], ["T1", "乙", "136", "", "校长"]])
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "手机号"), (3, "工号"), (3, "手机号"), (3, "岗位")]


def test_given_venues_when_imported_then_created_then_updated_by_name(world):
    _run(world, "venues", [["科学教室", "B201", 40, "实验室"], ["操场", "", "200", "操场"]])
    result = _run(world, "venues", [["科学教室", "B202", 42, ""]])
    venue = Venue.objects.get(school=world.school_a, name="科学教室")
    assert (result.updated, venue.location, venue.capacity, venue.kind) == (1, "B202", 42, "classroom")
    with pytest.raises(ImportRejected) as info:
        _run(world, "venues", [["礼堂", "", 0, "剧场"], ["礼堂", "", 10, ""]])
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "容量"), (2, "类型"), (3, "场地名称")]


def test_given_class_file_when_imported_then_grades_created_and_head_teacher_set(world):
    StaffFactory(school=world.school_a, employee_number="T1")
    result = _run(world, "classes", [["一年级", "1班", "T1"], ["三年级", "2班", ""], ["1年级", "2班", ""]])
    assert result.created == 3
    assert sorted(Grade.objects.filter(school=world.school_a).values_list("level", "name")) == [
        (1, "一年级"),
        (3, "三年级"),
    ]
    assert SchoolClass.objects.get(grade__level=1, name="1班").head_teacher.employee_number == "T1"
    assert _run(world, "classes", [["一年级", "1班", ""]]).updated == 1
    with pytest.raises(ImportRejected) as info:
        _run(world, "classes", [["十年级", "1班", ""], ["二年级", "1班", "NOPE"]])
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "年级"), (3, "班主任工号")]


def test_given_timetable_when_imported_then_cells_keyed_by_class_weekday_period(world, classes):
    StaffFactory(school=world.school_a, employee_number="T1")
    rows = [
        ["一年级", "1班", "星期一", 1, dt.time(8, 0), "08:40", "语文", "T1"],
        ["一年级", "1班", "周二", 2, "9:00", "9:40", "数学", ""],
    ]
    assert _run(world, "timetable", rows).created == 2
    assert _run(world, "timetable", [["一年级", "1班", "星期一", 1, "08:05", "08:45", "英语", ""]]).updated == 1
    entry = TimetableEntry.objects.get(weekday=1, period=1)
    assert (entry.subject, entry.starts_at) == ("英语", dt.time(8, 5))
    with pytest.raises(ImportRejected) as info:
        _run(
            world,
            "timetable",
            [
                ["一年级", "3班", "星期一", 1, "08:00", "08:40", "语文", ""],
                ["一年级", "1班", "星期八", 1, "09:00", "08:40", "语文", "NOPE"],
                ["一年级", "1班", "星期一", 3, "25:00", "08:40", "语文", ""],
            ],
        )
    assert [(e.row, e.column) for e in info.value.errors] == [
        (2, "班级"),
        (3, "星期"),
        (3, "结束时间"),
        (3, "任课教师工号"),
        (4, "开始时间"),
    ]


def _cell(class_name: str, teacher: str, weekday: str = "星期一", period: int = 1, subject: str = "语文") -> list[Any]:
    return ["一年级", class_name, weekday, period, "08:00", "08:40", subject, teacher]


def _timetable_errors(world: Any, rows: list[list[Any]]) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as info:
        _run(world, "timetable", rows)
    return [(e.row, e.column, e.message) for e in info.value.errors]


@pytest.fixture
def teachers(world: Any) -> dict[str, Staff]:
    return {
        "T1": StaffFactory(school=world.school_a, employee_number="T1", name="王老师"),
        "T2": StaffFactory(school=world.school_a, employee_number="T2", name="赵老师"),
    }


def test_given_teacher_in_two_classes_at_same_time_in_file_when_imported_then_both_rows_flagged(
    world, classes, teachers
):
    errors = _timetable_errors(
        world,
        [_cell("1班", "T1"), _cell("2班", "T1"), _cell("2班", "T1", period=2), _cell("1班", "T1", "星期二")],
    )
    assert errors == [
        (2, "任课教师工号", "王老师（工号 T1）在星期一第 1 节已安排在第 3 行的一年级2班，同一教师不能同时在两个班上课"),
        (3, "任课教师工号", "王老师（工号 T1）在星期一第 1 节已安排在第 2 行的一年级1班，同一教师不能同时在两个班上课"),
    ]
    assert TimetableEntry.objects.count() == 0


def test_given_teacher_busy_in_database_when_imported_then_row_flagged_and_nothing_written(world, classes, teachers):
    _run(world, "timetable", [_cell("1班", "T1", subject="数学")])
    errors = _timetable_errors(world, [_cell("2班", "T2", period=2), _cell("2班", "T1")])
    assert errors == [
        (
            3,
            "任课教师工号",
            "王老师（工号 T1）在星期一第 1 节已安排在一年级1班（现有课表：数学），同一教师不能同时在两个班上课",
        )
    ]
    assert list(TimetableEntry.objects.values_list("school_class__name", "period", "teacher__employee_number")) == [
        ("1班", 1, "T1")
    ]


def test_given_teacher_busy_in_other_school_cell_of_same_number_when_imported_then_accepted(world, classes):
    other = StaffFactory(school=world.school_a2, employee_number="T1")
    TimetableEntryFactory(school_class=classes["other_school"], weekday=1, period=1, teacher=other)
    StaffFactory(school=world.school_a, employee_number="T1")
    assert _run(world, "timetable", [_cell("1班", "T1")]).created == 1


def test_given_file_moving_teacher_between_classes_at_same_time_when_imported_then_accepted(world, classes, teachers):
    _run(world, "timetable", [_cell("1班", "T1"), _cell("2班", "T2")])
    result = _run(world, "timetable", [_cell("2班", "T1"), _cell("1班", "T2")])
    assert (result.created, result.updated) == (0, 2)
    cells = TimetableEntry.objects.values_list("school_class__name", "teacher__employee_number")
    assert sorted(cells) == [("1班", "T2"), ("2班", "T1")]


def test_given_file_moving_teacher_and_emptying_old_cell_when_imported_then_accepted(world, classes, teachers):
    _run(world, "timetable", [_cell("1班", "T1")])
    _run(world, "timetable", [_cell("2班", "T1"), _cell("1班", "")])
    cells = TimetableEntry.objects.values_list("school_class__name", "teacher__employee_number")
    assert sorted(cells) == [("1班", None), ("2班", "T1")]


def test_given_same_timetable_file_when_imported_again_then_accepted_as_updates(world, classes, teachers):
    rows = [_cell("1班", "T1"), _cell("2班", "T2"), _cell("2班", "T1", period=2), _cell("1班", "T1", "星期二")]
    assert _run(world, "timetable", rows).created == 4
    assert _run(world, "timetable", rows).updated == 4
    assert TimetableEntry.objects.count() == 4


def test_given_start_not_before_end_when_timetable_imported_then_row_error(world, classes):
    errors = _timetable_errors(world, [["一年级", "1班", "星期一", 1, "08:40", "08:40", "语文", ""]])
    assert errors == [(2, "结束时间", "结束时间须晚于开始时间")]


def test_given_template_when_downloaded_then_headers_and_explanation_sheet(world):
    for code, kind in KINDS.items():
        workbook = load_workbook(io.BytesIO(import_template(kind=code)))
        assert [c.value for c in workbook.worksheets[0][1]] == kind.headers
        notes = workbook["说明"]
        assert [
            r[0] for r in notes.iter_rows(min_row=2, max_row=len(kind.headers) + 1, values_only=True)
        ] == kind.headers


def test_given_downloaded_template_filled_when_imported_then_accepted(world, classes):
    workbook = load_workbook(io.BytesIO(import_template(kind="venues")))
    workbook.worksheets[0].append(["报告厅", "", 100, "其他"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert import_run(actor=world.actor("school_a"), kind="venues", file=upload(buffer.getvalue())).created == 1


# --- tenancy and roles -------------------------------------------------------------------------------------


def test_given_same_student_number_in_other_school_when_imported_then_other_school_untouched(world, classes):
    theirs = StudentFactory(school_class=classes["a1"], student_number="G0001", name="甲校学生")
    run_students(world, student_row(1, 身份证号=make_id_number(7)), key="school_a2")
    theirs.refresh_from_db()
    assert theirs.name == "甲校学生"
    assert Student.objects.get(school=world.school_a2).school_class == classes["other_school"]


@pytest.mark.parametrize("key", ["teacher_a", "bureau_a", "parent", "org_a"])
def test_given_non_school_admin_when_importing_then_refused(world, classes, key):
    with pytest.raises(Exception, match="学校管理员"):
        run_students(world, student_row(1), key=key)
    assert Student.objects.count() == 0


# --- pages and API -----------------------------------------------------------------------------------------


def test_given_school_admin_when_uploading_on_page_then_result_shown(world, classes, login):
    client = login(world.users["school_a"])
    assert client.get("/school/imports/").status_code == 200
    response = client.post("/school/imports/", {"kind": "students", "file": students_file(student_row(1))})
    assert response.status_code == 200 and "导入完成" in response.content.decode()
    token = response.context["result"].passwords_token
    assert client.get(f"/school/imports/passwords/{token}/").status_code == 200
    assert client.get(f"/school/imports/passwords/{token}/").status_code == 404  # only once


def test_given_bad_rows_on_page_then_errors_listed_and_copy_only_for_uploader(world, classes, login):
    client = login(world.users["school_a"])
    response = client.post("/school/imports/", {"kind": "students", "file": students_file(student_row(1, 性别="X"))})
    body = response.content.decode()
    assert response.status_code == 422 and "第 2 行" in body and "性别" in body
    url = f"/school/imports/errors/{response.context['rejected'].token}/"
    assert client.get(url).status_code == 200
    assert login(world.users["school_a2"]).get(url).status_code == 404


def test_given_not_xlsx_on_page_then_form_error_not_500(world, login):
    client = login(world.users["school_a"])
    response = client.post("/school/imports/", {"kind": "students", "file": upload(b"hello", "a.csv")})
    assert response.status_code == 400 and "不是 Excel" in response.content.decode()


def test_given_other_roles_when_opening_import_page_then_404(world, login):
    for key in ("teacher_a", "bureau_a", "parent"):
        assert login(world.users[key]).get("/school/imports/").status_code == 404


def test_given_template_link_on_page_then_xlsx(world, login):
    response = login(world.users["school_a"]).get("/school/imports/template/staff/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert login(world.users["school_a"]).get("/school/imports/template/nope/").status_code == 404


def test_given_api_upload_when_valid_then_counts_and_when_invalid_then_422(world, classes, login):
    client = login(world.users["school_a"])
    ok = client.post("/api/v1/schools/imports/students", {"file": students_file(student_row(1))})
    assert ok.status_code == 200, ok.content
    assert ok.json()["created"] == 1 and ok.json()["errors"] == []
    bad = client.post("/api/v1/schools/imports/students", {"file": students_file(student_row(2, 性别="X"))})
    assert bad.status_code == 422
    assert bad.json()["detail"] == [{"row": 2, "column": "性别", "message": bad.json()["errors"][0]["message"]}]
    token = bad.json()["error_file_token"]
    assert client.get(f"/api/v1/schools/imports/errors/{token}").status_code == 200
    assert login(world.users["school_b"]).get(f"/api/v1/schools/imports/errors/{token}").status_code == 404
    wrong = client.post("/api/v1/schools/imports/students", {"file": upload(b"nope")})
    assert wrong.status_code == 400 and wrong.json()["code"] == "import_not_xlsx"
    assert client.get("/api/v1/schools/imports/venues/template").status_code == 200
    assert client.post("/api/v1/schools/imports/nope", {"file": students_file(student_row(1))}).status_code == 404


def test_given_teacher_when_calling_import_api_then_refused(world, classes, login):
    response = login(world.users["teacher_a"]).post(
        "/api/v1/schools/imports/students", {"file": students_file(student_row(1))}
    )
    assert response.status_code == 403 and Student.objects.count() == 0
