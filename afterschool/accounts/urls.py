from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.PlatformLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/change/", views.password_change_view, name="password_change"),
    path("role/switch/", views.role_switch_view, name="role_switch"),
    path("users/", views.user_list_view, name="user_list"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:user_id>/unlock/", views.user_unlock_view, name="user_unlock"),
    path("users/<int:user_id>/reset-password/", views.user_password_reset_view, name="user_password_reset"),
    path("audit/", views.audit_list_view, name="audit_list"),
    path("tokens/", views.token_list_view, name="token_list"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("org/roles/", views.org_role_list_view, name="org_role_list"),
    path("org/roles/new/", views.org_role_create_view, name="org_role_create"),
    path("org/roles/<int:org_role_id>/", views.org_role_detail_view, name="org_role_detail"),
    path("org/roles/<int:org_role_id>/edit/", views.org_role_edit_view, name="org_role_edit"),
    path("org/roles/<int:org_role_id>/delete/", views.org_role_delete_view, name="org_role_delete"),
    path("org/members/", views.org_member_list_view, name="org_member_list"),
    path("org/members/<int:membership_id>/roles/", views.org_member_roles_view, name="org_member_roles"),
]
