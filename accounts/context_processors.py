from django.conf import settings


def login_limits(request):
    """The lockout numbers the login and locked-out pages state (they follow AXES_* settings)."""
    return {
        "login_failure_limit": settings.AXES_FAILURE_LIMIT,
        "login_cooloff_minutes": round(settings.AXES_COOLOFF_TIME * 60),
    }
