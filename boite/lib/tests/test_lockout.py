"""The rules of boite.lib.lockout, apart from any login page."""

import time

import pytest
from django.test import RequestFactory

from boite.lib import lockout

pytestmark = pytest.mark.django_db


def _from(address: str):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def test_many_addresses_failing_on_one_account_are_reported_not_locked(caplog, settings):
    settings.STAFF_LOGIN_FAILURES_PER_IP = 5
    for n in range(10):
        lockout.record_failure(_from(f"198.51.100.{n}"), lockout.STAFF, "admin")
    assert "failed 10 times within an hour, from several addresses" in caplog.text
    assert lockout.locked_until(_from("192.0.2.1"), lockout.STAFF, "admin") is None


def test_the_lock_never_lasts_more_than_a_day(settings):
    settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT = 1
    request = _from("203.0.113.1")
    for _n in range(30):  # as if each failure came after the previous lock
        lockout.record_failure(request, lockout.STAFF, "admin")
    until = lockout.locked_until(request, lockout.STAFF, "admin")
    assert until is not None and until.timestamp() - time.time() <= lockout.DAY + 2


def test_doors_and_networks_count_apart():
    request = _from("203.0.113.2")
    for _n in range(5):
        lockout.record_failure(request, lockout.PATRONS, "a@example.org", scope=1)
    assert lockout.locked_until(request, lockout.PATRONS, "a@example.org", scope=1)
    assert lockout.locked_until(request, lockout.PATRONS, "a@example.org", scope=2) is None
    assert lockout.locked_until(request, lockout.STAFF, "a@example.org") is None
