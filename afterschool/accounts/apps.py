from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "afterschool.accounts"
    label = "accounts"
    verbose_name = "账号与审计"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
