"""In Chromium: « Accéder » on each demo resource lands the patron, recognised, at the
provider — fake providers on 127.0.0.1 that check the signatures, validate the CAS
ticket (python-cas) or run the OpenID Connect code flow (authlib)."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from boite.access import demo
from boite.access.models import Connector
from boite.access.tests.fake_provider import FakeCasProvider, FakeOidcProvider, FakeProvider
from boite.catalog.models import Resource
from boite.stats.events import stats_pseudonym
from boite.stats.models import Event, EventKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def providers(live_server, demo_access, calvados):
    """The demo connectors moved onto three fake providers."""
    with (
        FakeProvider() as signed,
        FakeCasProvider(live_server.url) as cas,
        FakeOidcProvider(live_server.url) as oidc,
    ):
        demo.point_at(signed.origin, cas_origin=cas.origin, oidc_origin=oidc.origin)
        signed.serve_demo_connectors([calvados])
        for connector in Connector.objects.filter(network=calvados, kind="oidc"):
            oidc.client(connector.oauth_application.client_id, demo.OIDC_DEMO_SECRET)
        yield {"signed": signed, "cas": cas, "oidc": oidc}


def _log_in_through_the_form(page) -> None:
    page.get_by_label("Adresse électronique").fill("louise.bayeux@example.org")
    page.get_by_label("Mot de passe").fill("correct horse battery staple")
    page.get_by_role("button", name="Se connecter").click()


def test_every_seed_provider_recognises_the_patron(page, providers, patron_bayeux):
    resources = list(Resource.objects.order_by("slug"))
    assert len(resources) == 10
    for index, resource in enumerate(resources):
        page.goto(f"/ressources/{resource.slug}/")
        page.get_by_role("link", name=re.compile(r"^Accéder")).first.click()
        if index == 0:
            # Not logged in yet: the login page, then straight on to the provider.
            expect(page).to_have_url(re.compile(r"/connexion/\?next=/acces/"))
            _log_in_through_the_form(page)
        connector = Connector.objects.get(network__slug="boite-numerique", resource=resource)
        body = page.locator("body")
        if connector.kind == "open_link":
            expect(body).to_contain_text("page /")
        else:
            expect(body).to_contain_text("recognised as BAY0001")
        assert page.url.startswith(
            providers["cas" if connector.kind == "cas" else "oidc" if connector.kind == "oidc"
                      else "signed"].origin
        )  # fmt: skip
    assert providers["oidc"].seen[0]["card_number"] == "BAY0001"
    granted = Event.objects.filter(kind=EventKind.ACCESS_GRANTED)
    assert granted.count() == len(resources)
    assert set(granted.values_list("patron", flat=True)) == {
        stats_pseudonym(patron_bayeux.pseudonym)
    }
    assert not Event.objects.filter(kind=EventKind.ACCESS_REFUSED).exists()


def test_a_record_opens_at_the_provider_and_the_quota_is_shown(
    page, providers, patron_bayeux, browser_login
):
    browser_login(patron_bayeux.user)
    record = Resource.objects.get(slug="mediatheque-numerique").records.first()
    page.goto(f"/notices/{record.pk}/")
    expect(page.get_by_text("Il vous reste 4 films ce mois-ci")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Accéder")).click()
    expect(page.locator("body")).to_contain_text("recognised as BAY0001")
    page.goto(f"/notices/{record.pk}/")
    expect(page.get_by_text("Il vous reste 3 films ce mois-ci")).to_be_visible()


def test_a_refusal_says_why_and_passes_the_accessibility_audit(
    page, providers, patron_expired, browser_login
):
    browser_login(patron_expired.user)
    page.goto("/ressources/cafeyn/")
    page.get_by_role("link", name=re.compile(r"^Accéder")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    expect(page.locator("#refusal")).to_contain_text("Votre inscription a expiré le")
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        },
    )
    assert results.violations_count == 0, results.generate_report()
    assert Event.objects.get().reason == "expired"
