"""Where a form goes back to after a POST: its `next` field, but only to a page of this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_or(request, default):
    """The posted `next` if it points at this site (no open redirect), otherwise `default`."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return default
