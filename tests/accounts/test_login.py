"""Signing in: the Chinese login page, landing on the role's home, lockout after five wrong
passwords (django-axes) and its 15-minute cool-off, password rules, idle session expiry, logout.

Every login goes through the real view (`client.post("/accounts/login/")`): axes only sees a
login that comes with a request, so `client.login()` would test nothing here.
"""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings

PASSWORD = "correct horse battery"  # the cast's password (tests/conftest.py)
LOGIN = "/accounts/login/"
T0 = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in_as(client):
    """The id of the user the client's session belongs to (None when signed out)."""
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def test_login_page_is_in_chinese(db, client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ("党务管理系统", "用户名", "密码", "登录", "连续5次密码错误将锁定15分钟。"):
        assert text in html


def test_wrong_password_error_is_in_chinese(cast, client):
    response = log_in(client, "secretary_a", "wrong password")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("admin", lambda cast: "/orgs/"),
        ("committee", lambda cast: f"/dashboard/?org={cast.c1.pk}"),
        ("secretary_a", lambda cast: f"/dashboard/branch/{cast.a.pk}/"),
        ("member_a", lambda cast: "/dashboard/me/"),
        ("outsider", lambda cast: "/accounts/me/"),
    ],
)
def test_login_lands_on_the_roles_home(cast, client, role, home):
    user = getattr(cast, role)
    response = log_in(client, user.username)
    assert response.status_code == 302
    assert response.url == "/"
    assert signed_in_as(client) == user.pk
    landing = client.get("/")
    assert landing.status_code == 302
    assert landing.url == home(cast)
    assert client.get(landing.url).status_code == 200


def test_login_follows_a_safe_next_but_not_a_foreign_one(cast, client):
    response = client.post(LOGIN, {"username": "committee", "password": PASSWORD, "next": "/exports/"})
    assert response.url == "/exports/"
    client.post("/accounts/logout/")
    response = client.post(
        LOGIN, {"username": "committee", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == "/"


def lock_out(client, username="secretary_a"):
    """Five wrong passwords: the fifth already answers with the locked-out page."""
    for attempt in range(1, 6):
        response = log_in(client, username, f"wrong password {attempt}")
        if attempt < 5:
            assert response.status_code == 200, attempt
            assert "请输入一个正确的" in response.content.decode()
    return response


def assert_locked_out_page(response):
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录失败次数过多" in html
    assert "已被锁定15分钟" in html


def test_five_wrong_passwords_lock_the_account(cast, client):
    assert settings.AXES_FAILURE_LIMIT == 5
    with time_machine.travel(T0, tick=False):
        assert_locked_out_page(lock_out(client))
        attempt = AccessAttempt.objects.get(username="secretary_a")
        assert attempt.failures_since_start == 5

        # Now even the right password is refused, and nobody is signed in.
        response = log_in(client, "secretary_a")
        assert_locked_out_page(response)
        assert signed_in_as(client) is None


def test_four_wrong_passwords_do_not_lock(cast, client):
    for attempt in range(4):
        assert log_in(client, "secretary_a", f"wrong {attempt}").status_code == 200
    response = log_in(client, "secretary_a")
    assert response.status_code == 302
    assert signed_in_as(client) == cast.secretary_a.pk
    # A success wipes the slate (AXES_RESET_ON_SUCCESS).
    assert not AccessAttempt.objects.filter(username="secretary_a").exists()


def test_lockout_is_per_account(cast, client):
    """Locking secretary_a out does not lock secretary_b out from the same address."""
    lock_out(client, "secretary_a")
    response = log_in(client, "secretary_b")
    assert response.status_code == 302
    assert signed_in_as(client) == cast.secretary_b.pk


@pytest.mark.parametrize(
    ("later", "locked"),
    [
        (datetime.timedelta(minutes=14, seconds=59), True),
        (datetime.timedelta(minutes=15, seconds=1), False),
    ],
    ids=["14m59s-still-locked", "15m01s-open-again"],
)
def test_lockout_lifts_after_fifteen_minutes(cast, client, later, locked):
    with time_machine.travel(T0, tick=False):
        lock_out(client)
    with time_machine.travel(T0 + later, tick=False):
        response = log_in(client, "secretary_a")
        if locked:
            assert_locked_out_page(response)
            assert signed_in_as(client) is None
        else:
            assert response.status_code == 302
            assert response.url == "/"
            assert signed_in_as(client) == cast.secretary_a.pk


# --- password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("Zq8!", "密码长度太短。密码必须包含至少 10 个字符。"),
        ("password123", "这个密码太常见了。"),
        ("8204719365", "密码只包含数字。"),
    ],
    ids=["short", "common", "numeric"],
)
def test_password_change_rejects_weak_passwords(cast, client, new_password, message):
    log_in(client, "member_a")
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert message in response.context["form"].errors["new_password2"]
    assert message in response.content.decode()
    cast.member_a.refresh_from_db()
    assert cast.member_a.check_password(PASSWORD)


def test_short_password_message_follows_the_language(cast, client):
    """The "too short" rule speaks the user's chosen language (English here), not only Chinese."""
    log_in(client, "member_a")
    client.cookies["django_language"] = "en"  # what the language menu sets
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Zq8!", "new_password2": "Zq8!"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"] == [
        "This password is too short. It must contain at least 10 characters."
    ]


def test_password_change_accepts_a_strong_password(cast, client):
    log_in(client, "member_a")
    new = "红旗渠 spirit 1960s"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    cast.member_a.refresh_from_db()
    assert cast.member_a.check_password(new)
    # The session survives the change (update_session_auth_hash) …
    assert client.get("/accounts/me/").status_code == 200
    # … and the new password is the one that works from now on.
    client.post("/accounts/logout/")
    assert log_in(client, "member_a").status_code == 200
    assert log_in(client, "member_a", new).status_code == 302


def test_password_change_needs_a_login(db, client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# --- sessions and logout ----------------------------------------------------------------------


def test_session_settings():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_REFRESH_SECONDS == 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def session_expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


def test_the_idle_expiry_is_written_at_most_once_a_minute(cast, client):
    """Requests within a minute of the last write leave the session row and the cookie alone;
    the first request a minute or more later pushes both forward."""
    with time_machine.travel(T0, tick=False):
        log_in(client, "member_a")
        client.get("/accounts/me/")
        written = session_expiry(client)
        assert written == T0 + datetime.timedelta(minutes=30)
    with time_machine.travel(T0 + datetime.timedelta(seconds=59), tick=False):
        response = client.get("/accounts/me/")
        assert "sessionid" not in response.cookies
        assert session_expiry(client) == written
    with time_machine.travel(T0 + datetime.timedelta(seconds=60), tick=False):
        response = client.get("/accounts/me/")
        assert response.cookies["sessionid"]["max-age"] == 1800
        assert session_expiry(client) == T0 + datetime.timedelta(seconds=60, minutes=30)


def test_idle_session_expires_after_thirty_minutes(cast, client):
    with time_machine.travel(T0, tick=False):
        response = log_in(client, "member_a")
        assert response.cookies["sessionid"]["max-age"] == 1800
    # Activity every 29 minutes keeps the session alive: each request pushes the expiry forward.
    for minutes in (29, 58, 87):
        with time_machine.travel(T0 + datetime.timedelta(minutes=minutes), tick=False):
            assert client.get("/accounts/me/").status_code == 200, minutes
    # 31 idle minutes after the last request, the session is gone.
    with time_machine.travel(T0 + datetime.timedelta(minutes=87 + 31), tick=False):
        response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/me/"


def test_logout_is_post_only(cast, client):
    log_in(client, "member_a")
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert signed_in_as(client) == cast.member_a.pk

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert signed_in_as(client) is None
    assert client.get("/accounts/me/").status_code == 302


def test_signed_in_user_visiting_login_goes_home(cast, client):
    log_in(client, "member_a")
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response.url == "/"
