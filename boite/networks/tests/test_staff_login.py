"""The staff's login door (/admin/login/) has the patrons' limits: a lock per account
and address that grows with each failure, logged, and a refusal that says when to retry."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _admin_login(client: Client, username: str, password: str = PASSWORD):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
    )


def test_forty_wrong_passwords_then_the_right_one_is_still_refused(
    client, librarian_bayeux, caplog
):
    for _ in range(40):
        _admin_login(client, librarian_bayeux.username, "guess")
    refused = _admin_login(client, librarian_bayeux.username)
    page = refused.content.decode()
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Trop de tentatives" in page and "réessayez dans 15 minutes" in page
    assert client.get("/admin/").status_code == 302  # not logged in
    assert "staff login locked for 900 s" in caplog.text
    assert caplog.text.count("staff login failed") == 5  # refused attempts test nothing


def test_the_librarian_still_logs_in_from_their_own_address(client, librarian_bayeux):
    attacker = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9")
    for _ in range(10):
        _admin_login(attacker, librarian_bayeux.username, "guess")
    assert (
        "Trop de tentatives" in _admin_login(attacker, librarian_bayeux.username).content.decode()
    )
    response = _admin_login(client, librarian_bayeux.username)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_staff_lock_ends_and_then_doubles(client, librarian_bayeux, settings):
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 2
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(2):
            _admin_login(client, librarian_bayeux.username, "guess")
        traveller.shift(timedelta(minutes=16))
        _admin_login(client, librarian_bayeux.username, "guess")  # a lock of 30 min now
        traveller.shift(timedelta(minutes=29))
        assert (
            "Trop de tentatives" in _admin_login(client, librarian_bayeux.username).content.decode()
        )
        traveller.shift(timedelta(minutes=2))
        assert _admin_login(client, librarian_bayeux.username).status_code == 302


def test_one_address_trying_many_staff_accounts_is_locked(client, librarian_bayeux, settings):
    settings.STAFF_LOGIN_FAILURES_PER_IP = 4
    for n in range(4):
        _admin_login(client, f"someone{n}", "guess")
    assert "Trop de tentatives" in _admin_login(client, librarian_bayeux.username).content.decode()


def test_a_right_password_clears_the_failures_of_that_address(client, librarian_bayeux, settings):
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(2):
        _admin_login(client, librarian_bayeux.username, "guess")
    assert _admin_login(client, librarian_bayeux.username).status_code == 302
    client.post("/admin/logout/")
    for _ in range(2):
        _admin_login(client, librarian_bayeux.username, "guess")
    assert _admin_login(client, librarian_bayeux.username).status_code == 302
