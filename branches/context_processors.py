from django.urls import get_script_prefix, reverse

from .scoping import scope_for


class _Urls(dict):
    """`{{ urls.orgs__tree }}` is `{% url 'orgs:tree' %}` ("__" for ":"), reversed once per process
    (per script prefix) instead of on every page: the navigation bar alone names twenty URLs."""

    def __missing__(self, key):
        url = self[key] = reverse(key.replace("__", ":"))
        return url


_URLS = {}


def navigation(request):
    """The navigation shown depends on the roles the user holds."""
    urls = _URLS.get(prefix := get_script_prefix()) or _URLS.setdefault(prefix, _Urls())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"urls": urls}
    return {"scope": scope_for(user), "urls": urls}
