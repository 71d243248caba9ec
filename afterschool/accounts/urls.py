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
]
