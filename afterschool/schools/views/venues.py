"""Pages: venues (场地)."""

from __future__ import annotations

from afterschool.accounts.choices import Role
from afterschool.core.crud import Crud, Filter

from ..choices import VenueKind
from ..forms_structure import VenueForm
from ..selectors import venues as selectors
from ..services import venues as services

venue_crud = Crud(
    namespace="schools",
    name="venue",
    verbose_name="场地",
    list_selector=selectors.venue_list,
    get_selector=selectors.venue_get,
    id_kwarg="venue_id",
    form_class=VenueForm,
    columns=[
        ("场地名称", "name"),
        ("类型", "kind"),
        ("位置", "location"),
        ("容量（人）", "capacity"),
        ("可用", lambda v: "是" if v.is_active else "否"),
        ("学校", "school.name"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("场地名称", "name"),
        ("类型", "kind"),
        ("位置", "location"),
        ("容量（人）", "capacity"),
        ("可用", lambda v: "是" if v.is_active else "否"),
    ],
    create_service=services.venue_create,
    update_service=services.venue_update,
    delete_service=services.venue_delete,
    filters=[
        Filter("kind", "类型", list(VenueKind.choices)),
        Filter("is_active", "状态", [("true", "可用"), ("false", "停用")]),
    ],
    read_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN),
    write_roles=(Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN),
    search_placeholder="场地名称或位置",
)

urlpatterns = venue_crud.urls("venues")
