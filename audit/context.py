"""Who is acting right now: set per request by the middleware, per task or command by `acting_as`."""

import contextvars
from contextlib import contextmanager

_actor = contextvars.ContextVar("audit_actor", default=None)
_request = contextvars.ContextVar("audit_request", default=None)
_anonymous = contextvars.ContextVar("audit_anonymous", default=False)


def current_actor():
    if _anonymous.get():
        return None
    actor = _actor.get()
    if actor is not None:
        return actor
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return user
    return None


@contextmanager
def acting_as(user):
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def request_context(request):
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def anonymously():
    """No actor for any entry written inside, whoever is logged in (an anonymous suggestion)."""
    token = _anonymous.set(True)
    try:
        yield
    finally:
        _anonymous.reset(token)
