"""Pages: emergency contacts (应急联系人)."""

from __future__ import annotations

from afterschool.accounts.choices import Role
from afterschool.core.crud import Crud

from ..forms_structure import EmergencyContactForm
from ..selectors import contacts as selectors
from ..services import contacts as services

contact_crud = Crud(
    namespace="schools",
    name="contact",
    verbose_name="应急联系人",
    list_selector=selectors.contact_list,
    get_selector=selectors.contact_get,
    id_kwarg="contact_id",
    form_class=EmergencyContactForm,
    columns=[
        ("姓名", "name"),
        ("职务/职责", "title"),
        ("联系电话", "phone"),
        ("排序", "order"),
        ("说明", "note"),
        ("学校", "school.name"),
    ],
    detail_fields=[
        ("学校", "school"),
        ("姓名", "name"),
        ("职务/职责", "title"),
        ("联系电话", "phone"),
        ("排序", "order"),
        ("说明", "note"),
    ],
    create_service=services.contact_create,
    update_service=services.contact_update,
    delete_service=services.contact_delete,
    read_roles=(Role.SYSTEM_ADMIN, Role.BUREAU_ADMIN, Role.SCHOOL_ADMIN),
    write_roles=(Role.SYSTEM_ADMIN, Role.SCHOOL_ADMIN),
    search_placeholder="姓名、职务或电话",
)

urlpatterns = contact_crud.urls("contacts")
