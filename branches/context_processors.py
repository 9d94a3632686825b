from .scoping import scope_for


def navigation(request):
    """The navigation shown depends on the roles the user holds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"scope": scope_for(user)}
