from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from audit.services import register

        from .middleware import mark_session_fresh
        from .models import User

        user_logged_in.connect(mark_session_fresh, dispatch_uid="accounts.mark_session_fresh")

        # Who got admin rights or was deactivated is audited; the password hash never is.
        register(User, exclude=("password", "last_login"))
