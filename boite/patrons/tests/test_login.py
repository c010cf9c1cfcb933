import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, identifier, secret=PASSWORD, **extra):
    return client.post("/connexion/", {"identifier": identifier, "secret": secret}, **extra)


def test_patron_logs_in_by_email_and_sees_the_account(client, patron_bayeux):
    response = _login(client, "LOUISE.bayeux@example.org")
    assert response.status_code == 302 and response["Location"] == "/compte/"
    page = client.get("/compte/").content.decode()
    assert "valable jusqu" in page and "Mon compte" in page


def test_wrong_password_is_refused_with_a_message(client, patron_bayeux):
    response = _login(client, patron_bayeux.email, "wrong")
    assert response.status_code == 200
    assert "ne correspondent à aucun compte" in response.content.decode()
    assert client.get("/compte/").status_code == 302


def test_patron_of_another_network_cannot_log_in_here(client, patron_caen):
    response = _login(client, patron_caen.email)
    assert "ne correspondent à aucun compte" in response.content.decode()


def test_staff_username_does_not_log_in_as_patron(client, librarian_bayeux):
    response = _login(client, librarian_bayeux.email)
    assert response.status_code == 200


def test_account_is_locked_from_that_address_after_repeated_failures(
    client, patron_bayeux, settings
):
    settings.PATRONS_LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(3):
        _login(client, patron_bayeux.email, "wrong")
    page = _login(client, patron_bayeux.email).content.decode()  # even the right password
    assert "Trop de tentatives" in page and "réessayez dans 15 minutes" in page
    assert "choisissez dès maintenant un nouveau mot de passe" in page  # the way back in
    assert client.get("/compte/").status_code == 302


def test_a_stranger_typing_wrong_passwords_does_not_lock_the_patron_out(
    client, patron_bayeux, settings, caplog
):
    settings.PATRONS_LOGIN_FAILURES_PER_ACCOUNT = 3
    attacker = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.66")
    for _ in range(40):
        _login(attacker, patron_bayeux.email, "wrong")
    assert "Trop de tentatives" in _login(attacker, patron_bayeux.email).content.decode()
    assert _login(client, patron_bayeux.email).status_code == 302  # from the patron's own
    assert "locked for 900 s" in caplog.text and "203.0.113.66" in caplog.text


def test_the_lock_grows_with_each_failure_after_it(client, patron_bayeux, settings):
    settings.PATRONS_LOGIN_FAILURES_PER_ACCOUNT = 2
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(2):
            _login(client, patron_bayeux.email, "wrong")
        traveller.shift(timedelta(minutes=16))  # the first lock (15 min) has ended
        _login(client, patron_bayeux.email, "wrong")
        traveller.shift(timedelta(minutes=16))
        page = _login(client, patron_bayeux.email).content.decode()
        assert "réessayez dans 14 minutes" in page  # 30 min from the third failure
        traveller.shift(timedelta(minutes=15))
        assert _login(client, patron_bayeux.email).status_code == 302


def test_ip_is_locked_after_failures_on_many_accounts(client, patron_bayeux, settings):
    settings.PATRONS_LOGIN_FAILURES_PER_IP = 4
    for n in range(4):
        _login(client, f"nobody{n}@example.org", "wrong")
    assert "Trop de tentatives" in _login(client, patron_bayeux.email).content.decode()
    elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.2.2.2")
    assert _login(elsewhere, patron_bayeux.email).status_code == 302


def test_lockout_ends_after_the_delay(client, patron_bayeux, settings):
    settings.PATRONS_LOGIN_FAILURES_PER_ACCOUNT = 2
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(2):
            _login(client, patron_bayeux.email, "wrong")
        assert _login(client, patron_bayeux.email).status_code == 200
        traveller.shift(timedelta(seconds=settings.PATRONS_LOGIN_LOCKOUT_SECONDS + 2))
        assert _login(client, patron_bayeux.email).status_code == 302


def test_a_password_reset_lets_the_locked_out_patron_in(client, patron_bayeux, settings, on_commit):
    settings.PATRONS_LOGIN_FAILURES_PER_ACCOUNT = 2
    for _ in range(2):
        _login(client, patron_bayeux.email, "wrong")
    with on_commit(execute=True):
        client.post("/mot-de-passe-oublie/", {"email": patron_bayeux.email})
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True)
    new = "a brand new passphrase 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert _login(client, patron_bayeux.email, new).status_code == 302


def test_next_url_must_stay_on_the_site(client, patron_bayeux):
    response = client.post(
        "/connexion/?next=https://evil.example/",
        {"identifier": patron_bayeux.email, "secret": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/compte/"


def test_logout(client, patron_bayeux):
    _login(client, patron_bayeux.email)
    assert "Se déconnecter" in client.get("/deconnexion/").content.decode()
    client.post("/deconnexion/")
    assert client.get("/compte/").status_code == 302


def test_logout_everywhere_ends_other_sessions(patron_bayeux):
    phone = Client(HTTP_HOST="localhost")
    laptop = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.3.3.3")
    _login(phone, patron_bayeux.email)
    _login(laptop, patron_bayeux.email)
    assert laptop.get("/compte/").status_code == 200
    phone.post("/compte/deconnexion-partout/")
    assert laptop.get("/compte/").status_code == 302
    assert phone.get("/compte/").status_code == 302
    assert _login(laptop, patron_bayeux.email).status_code == 302
    assert laptop.get("/compte/").status_code == 200


def test_header_shows_account_links(client, patron_bayeux):
    page = client.get("/").content.decode()
    assert 'href="/connexion/"' in page and 'href="/inscription/"' in page
    _login(client, patron_bayeux.email)
    page = client.get("/").content.decode()
    assert 'href="/compte/"' in page and 'href="/deconnexion/"' in page


def test_session_cookie_is_http_only(client, patron_bayeux):
    response = _login(client, patron_bayeux.email)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_the_user_of_a_session_comes_with_the_session_generation(patron_bayeux):
    from boite.patrons.backends import PatronBackend

    user = PatronBackend().get_user(patron_bayeux.user.pk)
    assert user == patron_bayeux.user
    assert user.patron_generation == patron_bayeux.session_generation
    assert PatronBackend().get_user(10**9) is None


def test_sessions_kept_in_the_cache_end_as_they_should(settings, patron_bayeux):
    """With Redis, sessions are read from the cache (cached_db): logging out, and logging
    out everywhere, still end them."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    phone = Client(HTTP_HOST="localhost")
    laptop = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.3.3.4")
    _login(phone, patron_bayeux.email)
    _login(laptop, patron_bayeux.email)
    assert phone.get("/compte/").status_code == laptop.get("/compte/").status_code == 200
    phone.post("/deconnexion/")
    assert phone.get("/compte/").status_code == 302
    assert laptop.get("/compte/").status_code == 200
    _login(phone, patron_bayeux.email)
    phone.post("/compte/deconnexion-partout/")
    assert laptop.get("/compte/").status_code == 302
    assert phone.get("/compte/").status_code == 302
