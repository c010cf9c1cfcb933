"""Undelivered e-mails in the back office: superusers read them and send them again;
nobody else sees them, not even a network administrator."""

import pytest
from django.core import mail as outbox

from boite.lib.models import UndeliveredMail
from boite.networks.models import User
from boite.patrons import services

LIST = "/admin/lib/undeliveredmail/"


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", "pw-root-123456")


@pytest.fixture
def kept(db) -> UndeliveredMail:
    return UndeliveredMail.objects.create(
        recipients="louise.bayeux@example.org",
        subject="Votre inscription est validée",
        body="Bonjour Louise",
        attempts=54,
        error="ConnectionRefusedError: [Errno 111] Connection refused",
    )


def test_a_superuser_reads_them_and_sends_them_again(client, login, root, kept, on_commit):
    login(client, root)
    page = client.get(LIST).content.decode()
    assert "Votre inscription est validée" in page and "louise.bayeux@example.org" in page
    detail = client.get(f"{LIST}{kept.pk}/change/").content.decode()
    assert "Bonjour Louise" in detail and "Connection refused" in detail
    assert client.get(f"{LIST}add/").status_code == 403
    with on_commit(execute=True):
        response = client.post(
            LIST, {"action": "send_again", "_selected_action": [kept.pk]}, follow=True
        )
    [message] = response.context["messages"]
    assert message.level_tag == "success" and "1" in str(message)
    assert not UndeliveredMail.objects.exists()
    assert [m.to for m in outbox.outbox] == [["louise.bayeux@example.org"]]


@pytest.mark.parametrize("persona", ["admin_calvados", "librarian_bayeux", "finance_officer"])
def test_staff_without_the_superuser_flag_are_refused(client, login, kept, persona, request):
    login(client, request.getfixturevalue(persona))
    assert "undeliveredmail" not in client.get("/admin/").content.decode()
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{kept.pk}/change/").status_code in (302, 403)
    response = client.post(LIST, {"action": "send_again", "_selected_action": [kept.pk]})
    assert response.status_code == 403
    assert UndeliveredMail.objects.filter(pk=kept.pk).exists()


def test_outsider_and_anonymous_are_sent_to_the_login_page(client, login, outsider, kept):
    assert client.get(LIST).status_code == 302
    login(client, outsider)
    assert client.get(LIST).status_code == 302
    assert client.get(f"{LIST}{kept.pk}/change/").status_code == 302


def test_erasing_a_patron_erases_the_mail_kept_for_them(patron_bayeux, kept):
    other = UndeliveredMail.objects.create(
        recipients="quelquun@example.org", subject="s", body="b", attempts=1, error="e"
    )
    services.erase(patron_bayeux)
    assert list(UndeliveredMail.objects.all()) == [other]
