from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号")

    def ready(self):
        from audit.services import register

        from .models import User

        # Who got admin rights or was deactivated is audited; the password hash never is.
        register(User, exclude=("password", "last_login"))
