"""Pages: grades (年级) and classes (班级)."""

from __future__ import annotations

from typing import Any

from afterschool.accounts.choices import Role
from afterschool.core.crud import Crud, Filter

from ..forms_structure import GradeForm, SchoolClassForm
from ..selectors import structure as selectors
from ..services import structure as services

READERS = (Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN)
WRITERS = (Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN)


def _grade_choices(actor: Any) -> list[tuple[str, str]]:
    grades = selectors.grade_list(actor=actor)
    several_schools = len({g.school_id for g in grades}) > 1
    return [(str(g.pk), f"{g.school.name} · {g.name}" if several_schools else g.name) for g in grades]


# The url names are class_list, class_detail …; `class` cannot name a keyword argument, hence the adapters.
def _class_update(*, actor: Any, data: dict[str, Any], **kwargs: Any) -> Any:
    return services.school_class_update(actor=actor, school_class=kwargs["class"], data=data)


def _class_delete(*, actor: Any, **kwargs: Any) -> None:
    services.school_class_delete(actor=actor, school_class=kwargs["class"])


grade_crud = Crud(
    namespace="schools",
    name="grade",
    verbose_name="年级",
    list_selector=selectors.grade_list,
    get_selector=selectors.grade_get,
    id_kwarg="grade_id",
    form_class=GradeForm,
    columns=[("年级名称", "name"), ("年级序号", "level"), ("学校", "school.name")],
    detail_fields=[("学校", "school"), ("年级名称", "name"), ("年级序号", "level")],
    create_service=services.grade_create,
    update_service=services.grade_update,
    delete_service=services.grade_delete,
    read_roles=READERS,
    write_roles=WRITERS,
    search_placeholder="年级名称",
)

class_crud = Crud(
    namespace="schools",
    name="class",
    verbose_name="班级",
    list_selector=selectors.school_class_list,
    get_selector=selectors.school_class_get,
    id_kwarg="school_class_id",
    form_class=SchoolClassForm,
    columns=[
        ("班级", str),
        ("年级", "grade.name"),
        ("班主任", "head_teacher.name"),
        ("学校", "school.name"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("年级", "grade"),
        ("班级名称", "name"),
        ("班主任", "head_teacher"),
    ],
    create_service=services.school_class_create,
    update_service=_class_update,
    delete_service=_class_delete,
    filters=[Filter("grade", "年级", _grade_choices)],
    read_roles=READERS,
    write_roles=WRITERS,
    search_placeholder="班级、年级或班主任姓名",
)

urlpatterns = [*grade_crud.urls("grades"), *class_crud.urls("classes")]
