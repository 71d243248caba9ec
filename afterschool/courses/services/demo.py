"""Demo courses, organization teachers, dispatches, an organization role and a pending application.

Acts as the demo users themselves (the org admin writes its courses, the school admin reviews), through the same
services as the pages, so the audit log reads like a real history. Idempotent: runs once per database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from afterschool.accounts import services as account_services
from afterschool.accounts.choices import OrgPermission
from afterschool.accounts.models import OrgRole
from afterschool.core.choices import CourseCategory
from afterschool.schools.validators import id_number_check_char
from afterschool.tenancy import services as tenancy_services
from afterschool.tenancy.actor import Actor, actor_of_login, system_actor
from afterschool.tenancy.models import Organization, OrganizationApplication, Partnership, School
from afterschool.tenancy.validators import credit_code_check_char

from ..models import Course
from . import catalogue, dispatch, review, teachers

# The smallest well-formed PDF: a page with nothing on it. Enough for the content check and a viewer.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

_ART_CHAPTERS = [
    ("认识色彩", "认识三原色与冷暖色，能用两种颜色调出第三种。"),
    ("线条的魔法", "用直线、曲线、折线表现物体的形状。"),
    ("我的小怪兽", "用夸张的造型创作一个想象中的角色。"),
    ("拓印树叶", "学习拓印技法，完成一幅树叶拓印画。"),
    ("纸盘面具", "综合运用剪、贴、画，完成一件立体作品。"),
    ("水墨游戏", "感受水与墨的变化，画一幅水墨小品。"),
    ("剪纸窗花", "学习对折剪纸，剪出对称的窗花。"),
    ("我的家乡", "用写生与想象相结合表现家乡的景物。"),
    ("泥塑小动物", "学习搓、捏、压，完成一件泥塑动物。"),
    ("会动的画", "制作翻页动画，理解连续动作。"),
    ("名画临摹：向日葵", "观察梵高《向日葵》的色彩与笔触并临摹。"),
    ("设计一张邮票", "在小画面中组织图形和文字。"),
    ("环保手工", "用废旧材料制作一件实用小物。"),
    ("冬天的树", "用线条和留白表现冬天的树。"),
    ("节日贺卡", "设计并制作一张立体贺卡。"),
    ("我的自画像", "观察五官比例，完成一幅自画像。"),
    ("集体创作", "分组合作完成一幅大画。"),
    ("作品整理", "整理一学期的作品，写一句创作说明。"),
    ("小小画展", "布置作品展，向同学介绍自己的作品。"),
]
_BASKETBALL_CHAPTERS = [
    ("球性练习", "熟悉球性，完成原地运球 30 次。"),
    ("行进间运球", "掌握行进间直线运球。"),
    ("双手胸前传球", "两人一组完成传接球 20 次。"),
    ("投篮入门", "掌握原地单手肩上投篮动作。"),
]
_READING_CHAPTERS = [
    ("《三字经》选读", "正确、流利地诵读选段。"),
    ("《弟子规》选读", "理解“入则孝”的含义。"),
    ("古诗四首", "背诵并能说出诗意。"),
    ("《声律启蒙》一东", "读准韵脚，感受对仗。"),
    ("《声律启蒙》二冬", "分角色对读，读出节奏。"),
    ("《笠翁对韵》选读", "能对出简单的对子。"),
    ("《千字文》选读", "认读生字，了解大意。"),
    ("寓言两则", "读懂寓意，复述故事。"),
    ("成语故事", "讲一个成语故事。"),
    ("古诗：春", "背诵写春天的古诗。"),
    ("古诗：秋", "背诵写秋天的古诗。"),
    ("古诗：冬", "背诵写冬天的古诗。"),
    ("对联欣赏", "了解对联的特点，读对联。"),
    ("《论语》三则", "诵读并说说自己的理解。"),
    ("童谣新唱", "有节奏地诵读童谣。"),
    ("亲子共读分享", "介绍和家人一起读的一本书。"),
    ("经典复习", "复习本学期所学篇目。"),
    ("诵读小擂台", "按篇目接力诵读。"),
    ("诵读展示", "分组展示，互相评价。"),
]


def _id(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def _credit(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def _course(actor: Actor, data: dict[str, Any], chapters: list[tuple[str, str]]) -> Course:
    course = catalogue.course_create(actor=actor, data=data)
    for title, goals in chapters:
        catalogue.chapter_create(actor=actor, course=course, data={"title": title, "goals": goals})
    return course


def demo_courses_ensure(*, school: School, organizations: list[Organization]) -> bool:
    """Returns whether anything was created."""
    if Course.objects.filter(owner_school=school).exists():
        return False
    org1, org2 = organizations
    if not Partnership.objects.filter(school=school, organization=org2).exists():
        tenancy_services.partnership_create(
            actor=system_actor(), school=school, organization=org2, starts_on=dt.date(2026, 9, 1)
        )
    org_admin = actor_of_login("orgadmin", "org_admin")
    school_admin = actor_of_login("school", "school_admin")

    # 机构角色：a course officer who may edit and submit courses but not touch teachers or accounts.
    if not OrgRole.objects.filter(organization=org1, name="课程专员").exists():
        account_services.org_role_create(
            actor=org_admin,
            data={
                "name": "课程专员",
                "description": "维护课程内容并提交学校审核",
                "permissions": [OrgPermission.COURSE_VIEW, OrgPermission.COURSE_EDIT, OrgPermission.COURSE_SUBMIT],
            },
        )

    # 机构教师与外派. 赵老师 is the demo login "orgteacher" (linked by its mobile).
    zhao, _ = teachers.teacher_create(
        actor=org_admin,
        data={
            "name": "赵老师", "mobile": "13800000003", "id_number": _id("11010819900501001"),
            "certificate_number": "20161100000123", "subjects": "美术、书法", "background_check": "passed",
            "background_checked_on": dt.date(2026, 8, 1), "is_active": True, "create_account": True,
        },
    )  # fmt: skip
    sun, _ = teachers.teacher_create(
        actor=org_admin,
        data={
            "name": "孙老师", "mobile": "13800000004", "id_number": _id("11010819881102002"),
            "certificate_number": "20131100000456", "subjects": "篮球、田径", "background_check": "passed",
            "background_checked_on": dt.date(2026, 8, 3), "is_active": True,
        },
    )  # fmt: skip
    teachers.teacher_create(
        actor=org_admin,
        data={
            "name": "周老师", "mobile": "13800000005", "id_number": _id("11010819951212004"),
            "certificate_number": "", "subjects": "编程", "background_check": "pending", "is_active": True,
        },
    )  # fmt: skip
    term = {"school": school.pk, "starts_on": dt.date(2026, 9, 1), "ends_on": dt.date(2027, 1, 20)}
    dispatch.dispatch_create(
        actor=org_admin,
        data={**term, "teacher": zhao.pk, "course_categories": [CourseCategory.ARTS, CourseCategory.READING]},
    )
    dispatch.dispatch_create(
        actor=org_admin, data={**term, "teacher": sun.pk, "course_categories": [CourseCategory.SPORTS]}
    )

    # 课程: approved, waiting for review, draft; and the school's own course.
    art = _course(
        org_admin,
        {"name": "少儿创意美术", "category": CourseCategory.ARTS, "grade_levels": [1, 2, 3, 4],
         "introduction": "以游戏化的方式认识色彩、线条与造型，每节课完成一件作品。"},
        _ART_CHAPTERS,
    )  # fmt: skip
    catalogue.material_create(
        actor=org_admin, course=art, data={"name": "美术材料包", "introduction": "水彩笔、彩纸、画板", "quantity": 1,
                                           "price_fen": 8800},
    )  # fmt: skip
    catalogue.course_file_upload(
        actor=org_admin, course=art, name="课程说明", upload=SimpleUploadedFile("课程说明.pdf", _PDF, "application/pdf")
    )
    basketball = _course(
        org_admin,
        {"name": "趣味篮球", "category": CourseCategory.SPORTS, "grade_levels": [3, 4, 5, 6],
         "introduction": "运球、传球、投篮基本功与小组对抗。"},
        _BASKETBALL_CHAPTERS,
    )  # fmt: skip
    _course(
        org_admin,
        {"name": "机器人编程入门", "category": CourseCategory.SCIENCE, "grade_levels": [4, 5, 6],
         "introduction": "图形化编程控制小车完成任务。"},
        [("认识传感器", "了解红外与超声波传感器。")],
    )  # fmt: skip
    reading = _course(
        school_admin,
        {"name": "经典诵读", "category": CourseCategory.READING, "grade_levels": [1, 2, 3, 4, 5, 6],
         "introduction": "每周一次的经典诵读，由本校语文教师执教。"},
        _READING_CHAPTERS,
    )  # fmt: skip
    for offer in review.course_submit(actor=org_admin, course=art, school_ids=[school.pk]):
        review.offer_approve(actor=school_admin, offer=offer, comment="内容适合低年级，同意开设。")
    review.course_submit(actor=org_admin, course=basketball, school_ids=[school.pk])
    for offer in review.course_submit(actor=school_admin, course=reading):
        review.offer_approve(actor=school_admin, offer=offer)

    # 一份待审核的入驻申请
    if not OrganizationApplication.objects.exists():
        tenancy_services.application_submit(
            client_ip="127.0.0.1",
            data={
                "name": "北京星火艺术培训中心", "credit_code": _credit("91110108MA0000003"), "kind": "company",
                "region": school.region, "contact_name": "钱女士", "contact_phone": "13800000006",
                "address": "海淀区知春路 66 号", "course_categories": [CourseCategory.ARTS, CourseCategory.CLUB],
                "teacher_summary": "专职教师 12 人，均持有教师资格证；兼职教师 5 人。",
            },
            licence=SimpleUploadedFile("营业执照.pdf", _PDF, "application/pdf"),
        )  # fmt: skip
    return True
