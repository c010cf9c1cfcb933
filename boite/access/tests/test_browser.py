"""A patron in a real browser enters providers through the portal (Chromium)."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from boite.access.models import Connector
from boite.access.tests.fake_provider import FakeCasProvider, FakeOidcProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    # The patrons' login page arrives with the patrons app; the session is what matters.
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _cas_connector(network, provider) -> Connector:
    """The network's CAS connector for the fake provider, validated as the admin would."""
    connector = Connector(
        network=network,
        name="Fournisseur CAS",
        kind="cas",
        settings={
            "url": provider.origin + "/start",
            "services": [provider.service],
            "attributes": ["card_number"],
        },
    )
    connector.full_clean()
    connector.save()
    return connector


def test_a_patron_lands_recognised_on_a_cas_provider(page, live_server, patron, calvados):
    with FakeCasProvider(live_server.url) as provider:
        _cas_connector(calvados, provider)
        _log_in(page, live_server, patron)
        page.goto(provider.origin + "/start")
        expect(page.get_by_role("heading", level=1)).to_have_text("recognised as 14000123456")
        assert page.url.startswith(provider.service + "?ticket=ST-")
        # The same ticket a second time (reload) is refused: tickets are single use.
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("refused")


def test_an_anonymous_patron_logs_in_on_the_portal_for_a_cas_provider(
    page, live_server, patron, calvados
):
    """The provider starts the login: the patron, not yet logged in, lands on the
    portal's patron login, which names the provider, and comes back recognised."""
    with FakeCasProvider(live_server.url) as provider:
        _cas_connector(calvados, provider)
        page.goto(provider.origin + "/start")
        assert "/connexion/" in page.url and "/admin/" not in page.url
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Connectez-vous pour ouvrir Fournisseur CAS"
        )
        expect(page.locator("#content").get_by_role("link", name="Vous inscrire")).to_be_visible()
        page.get_by_label("Adresse électronique").fill("camille.martin@example.org")
        page.get_by_label("Mot de passe").fill("correct horse battery staple")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("recognised as 14000123456")
        assert page.url.startswith(provider.service + "?ticket=ST-")


def test_an_anonymous_patron_logs_in_on_the_portal_for_an_oidc_provider(
    page, live_server, patron, calvados
):
    with FakeOidcProvider(live_server.url) as provider:
        connector = Connector(
            network=calvados,
            name="Fournisseur OIDC",
            kind="oidc",
            settings={
                "url": provider.origin + "/oidc/start",
                "redirect_uris": [provider.redirect_uri],
                "claims": ["card_number"],
            },
        )
        connector.full_clean()
        connector.set_secret("client_secret", "a-secret-of-the-fake-provider-0123456789")
        connector.save()
        provider.client(
            connector.oauth_application.client_id, "a-secret-of-the-fake-provider-0123456789"
        )
        page.goto(provider.origin + "/oidc/start")
        assert "/connexion/" in page.url and "/admin/" not in page.url
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Connectez-vous pour ouvrir Fournisseur OIDC"
        )
        page.get_by_label("Adresse électronique").fill("camille.martin@example.org")
        page.get_by_label("Mot de passe").fill("correct horse battery staple")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("recognised as 14000123456")
