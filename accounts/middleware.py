import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose another language (the language menu sets a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a secretary whose
    phone or office PC is set to English would get an English UI they never asked for."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class IdleSessionMiddleware(SessionMiddleware):
    """Django's session middleware, with the idle timeout pushed forward at most once a minute.

    An idle session expires SESSION_COOKIE_AGE after the user's last request. Django's
    SESSION_SAVE_EVERY_REQUEST does that by writing the session row (an UPDATE and a commit) and
    re-sending the cookie on every request; here the session remembers when its expiry was last
    pushed and is written again only when that is SESSION_REFRESH_SECONDS ago or more, or when
    the session changed anyway. The timeout stays exact to within that interval."""

    MARK = "_idle_refreshed_at"

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            refreshed = session.get(self.MARK)
            if session.modified or refreshed is None or now - refreshed >= settings.SESSION_REFRESH_SECONDS:
                session[self.MARK] = now
        return super().process_response(request, response)


def mark_session_fresh(sender, request, user, **kwargs):
    """On sign-in (user_logged_in): the session is being written anyway, so its expiry is fresh
    and the next request within the minute need not write it again."""
    session = getattr(request, "session", None)
    if session is not None:
        session[IdleSessionMiddleware.MARK] = int(time.time())
