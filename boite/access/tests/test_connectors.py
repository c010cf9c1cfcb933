"""The registry, the identity record and the kinds without a protocol of their own."""

from datetime import date
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boite.access import connectors
from boite.access.connectors import HandoverError
from boite.access.identity import Identity, identity_for, pseudonym_for
from boite.access.models import Connector, ServiceTicket
from boite.access.tasks import purge_service_tickets


def test_every_kind_is_registered_with_its_module():
    assert dict(connectors.kind_choices()).keys() == {"signed_link", "cas", "oidc", "open_link"}
    assert connectors.all_secret_names() == ["key", "client_secret"]


def test_identity_attributes_and_repr():
    identity = Identity(
        pseudonym="abc",
        card_number="123",
        birth_date=date(2015, 3, 2),
        expiry_date=date(2027, 1, 31),
    )
    assert identity.attributes(["card_number", "birth_year", "expiry_date", "email"]) == {
        "card_number": "123",
        "birth_year": "2015",
        "expiry_date": "2027-01-31",
    }
    assert "123" not in repr(identity)


def test_the_pseudonym_is_stable_per_connector_and_opaque(patron, calvados, caen_network):
    one = Connector.objects.create(network=calvados, name="A", kind="open_link")
    two = Connector.objects.create(network=calvados, name="B", kind="open_link")
    first = identity_for(patron, calvados, one)
    assert first.pseudonym == identity_for(patron, calvados, one).pseudonym
    # Two providers cannot match their patrons: each sees another id.
    assert first.pseudonym != identity_for(patron, calvados, two).pseudonym
    assert identity_for(patron, caen_network, one) is None  # no patron of that network
    assert len(first.pseudonym) == 32
    assert int(first.pseudonym, 16) >= 0  # hexadecimal, nothing readable
    own = patron.patron.pseudonym
    assert first.pseudonym == pseudonym_for(own, one.pk) != own
    assert first.card_number == "14000123456"
    assert (first.library_code, first.library_name) == ("MEDIAT", "Médiathèque de Bayeux")
    assert first.network == "boite-numerique"
    assert first.expiry_date == patron.patron.expires_on
    assert first.birth_date == patron.patron.birth_date


@pytest.mark.parametrize("kind", ["open_link", "cas"])
def test_open_link_and_cas_go_to_the_target_on_the_provider_only(calvados, patron, kind):
    settings = {"url": "https://free.example/home"}
    if kind == "cas":
        settings["services"] = ["https://free.example/"]
    connector = Connector(network=calvados, name="Libre", kind=kind, settings=settings)
    connector.full_clean()
    connector.save()
    request = RequestFactory().get("/")
    identity = identity_for(patron, calvados)
    assert connector.handover(request, identity)["Location"] == "https://free.example/home"
    target = "https://free.example/doc/42"
    assert connector.handover(request, identity, target)["Location"] == target
    with pytest.raises(HandoverError):
        connector.handover(request, identity, "https://evil.example/doc/42")


@pytest.mark.parametrize(
    ("kind", "settings", "field"),
    [
        ("open_link", {}, "url"),
        ("cas", {"url": "https://p.example/"}, "services"),
        ("cas", {"url": "https://p.example/", "services": "https://p.example/"}, "services"),
        ("cas", {"url": "https://p.example/", "services": ["not a url"]}, "services"),
        (
            "cas",
            {"url": "https://p.example/", "services": ["https://p.example/"], "attributes": ["pw"]},
            "attributes",
        ),
        ("oidc", {"url": "https://p.example/", "redirect_uris": []}, "redirect_uris"),
    ],
)
def test_each_kind_validates_its_settings(calvados, kind, settings, field):
    connector = Connector(network=calvados, name="X", kind=kind, settings=settings)
    with pytest.raises(Exception, match=field):
        connector.full_clean()


def test_an_unknown_kind_is_refused(calvados):
    with pytest.raises(Exception, match="kind"):
        Connector(network=calvados, name="X", kind="ftp", settings={}).full_clean()


def test_cas_service_whitelist_is_by_origin_and_path(cas_connector):
    allows = cas_connector.allows_service
    assert allows("https://provider.example/cas/callback")
    assert allows("https://provider.example/cas/callback/deeper?next=/film/1")
    assert not allows("https://provider.example/cas/callbackx")
    assert not allows("https://provider.example/other")
    assert not allows("http://provider.example/cas/callback")
    assert not allows("https://provider.example:8443/cas/callback")
    assert not allows("https://evil.example/cas/callback")
    assert not allows("javascript:alert(1)")


def test_spent_tickets_are_purged_after_an_hour(cas_connector, patron):
    from datetime import timedelta

    from django.utils import timezone

    old = ServiceTicket.objects.create(
        connector=cas_connector,
        user=patron,
        service="https://provider.example/cas/callback",
        created_at=timezone.now() - timedelta(hours=2),
    )
    fresh = ServiceTicket.objects.create(
        connector=cas_connector, user=patron, service="https://provider.example/cas/callback"
    )
    purge_service_tickets.call_local()
    assert not ServiceTicket.objects.filter(pk=old.pk).exists()
    assert ServiceTicket.objects.filter(pk=fresh.pk).exists()


def test_demo_connectors_are_valid_and_loaded_once(demo_access, calvados, caen_network):
    import io

    from boite.access import demo
    from boite.catalog.models import Resource

    demo.load(io.StringIO())
    resources = Resource.objects.count()
    for network in (calvados, caen_network):
        assert Connector.objects.filter(network=network, resource__isnull=False).count() == (
            resources
        )
    kinds = {c.kind for c in Connector.objects.all()}
    assert kinds == {"signed_link", "cas", "oidc", "open_link"}
    for connector in Connector.objects.all():
        connector.full_clean()
        if connector.kind == "signed_link":
            assert connector.has_secret("key")
    # Each network has its own key for the same resource.
    keys = {
        c.secret("key") for c in Connector.objects.filter(resource__slug="mediatheque-numerique")
    }
    assert len(keys) == 2


def test_oidc_connectors_are_refused_while_oidc_is_off(calvados, settings):
    from oauth2_provider.settings import oauth2_settings

    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": False}
    oauth2_settings.reload()
    try:
        connector = Connector(
            network=calvados,
            name="X",
            kind="oidc",
            settings={"url": "https://p.example/", "redirect_uris": ["https://p.example/cb"]},
        )
        with pytest.raises(Exception, match="OIDC_RSA_PRIVATE_KEY"):
            connector.full_clean()
    finally:
        settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ENABLED": True}
        oauth2_settings.reload()


@given(st.text(max_size=80))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_only_services_under_a_whitelisted_address_are_allowed(cas_connector, suffix):
    service = "https://provider.example/cas/callback" + suffix
    allowed = cas_connector.allows_service(service)
    parts = urlsplit(service)
    if allowed:
        assert (parts.scheme, parts.netloc) == ("https", "provider.example")
        assert parts.path == "/cas/callback" or parts.path.startswith("/cas/callback/")
    assert not cas_connector.allows_service("https://evil.example/" + suffix)
