"""Shared test fixtures: two networks, a few libraries and the personas of the suite.

Personas (CONVENTIONS.md): the librarian of Bayeux (departmental network), the
librarian of Lisieux (another library of the same network), the librarian of Caen
(Caen la Mer network), the administrators of each network, the finance officer, an
editor, and an outsider — a logged-in account with no role at all. Patrons:
patron_caen and patron_bayeux (active for a year), patron_expired (of Bayeux).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from boite.lib.counters import DatabaseCounters
from boite.networks.models import (
    Authority,
    AuthorityPopulation,
    Library,
    Network,
    NetworkHost,
    StaffRole,
    User,
)

Kind = StaffRole.Kind
PASSWORD = "correct horse battery staple"


def _clear_caches() -> None:
    # The counters kept in the database go with the test's transaction; the others
    # (process memory, or Redis when REDIS_URL is set) are emptied.
    for alias in settings.CACHES:
        if not isinstance(caches[alias], DatabaseCounters):
            caches[alias].clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The host → network cache must not outlive the test database rows it points to.
    _clear_caches()
    yield
    _clear_caches()


def _commune(code: str, name: str, postal: str, population: int) -> Authority:
    commune = Authority.objects.create(
        kind=Authority.Kind.COMMUNE, code=code, name=name, postal_codes=postal
    )
    AuthorityPopulation.objects.create(authority=commune, year=2021, population=population)
    return commune


@pytest.fixture
def department(db) -> Authority:
    return Authority.objects.create(
        kind=Authority.Kind.DEPARTMENT, code="14", name="Département du Calvados"
    )


@pytest.fixture
def urban_community(db) -> Authority:
    return Authority.objects.create(
        kind=Authority.Kind.INTERCOMMUNALITY,
        code="200065597",
        name="Communauté urbaine Caen la Mer",
    )


@pytest.fixture
def communes(db, urban_community) -> dict[str, Authority]:
    caen = _commune("14118", "Caen", "14000", 108_200)
    herouville = _commune("14327", "Hérouville-Saint-Clair", "14200", 22_700)
    caen.parent = herouville.parent = urban_community
    caen.save()
    herouville.save()
    return {
        "bayeux": _commune("14047", "Bayeux", "14400", 12_900),
        "lisieux": _commune("14366", "Lisieux", "14100", 20_200),
        "evrecy": _commune("14257", "Évrecy", "14210", 2_100),
        "caen": caen,
        "herouville": herouville,
    }


def _network(slug: str, name: str, partner: Authority, hosts: list[str]) -> Network:
    network = Network.objects.create(slug=slug, name=name, partner=partner)
    for host in hosts:
        NetworkHost.objects.create(network=network, host=host)
    return network


@pytest.fixture
def calvados(department) -> Network:
    return _network("boite-numerique", "La Boîte numérique", department, ["localhost", "127.0.0.1"])


@pytest.fixture
def caen_network(urban_community) -> Network:
    return _network(
        "caen-la-mer",
        "Réseau des bibliothèques de Caen la Mer",
        urban_community,
        ["caen.localhost"],
    )


def _library(network: Network, commune: Authority, name: str, slug: str) -> Library:
    return Library.objects.create(
        network=network,
        authority=commune,
        name=name,
        slug=slug,
        postal_code=commune.postal_codes.split()[0],
        code=slug[:6].upper(),
    )


@pytest.fixture
def bayeux_library(calvados, communes) -> Library:
    return _library(calvados, communes["bayeux"], "Médiathèque de Bayeux", "mediatheque-de-bayeux")


@pytest.fixture
def lisieux_library(calvados, communes) -> Library:
    return _library(calvados, communes["lisieux"], "Médiathèque André Malraux", "malraux-lisieux")


@pytest.fixture
def caen_library(caen_network, communes) -> Library:
    return _library(
        caen_network, communes["caen"], "Bibliothèque Alexis de Tocqueville", "tocqueville"
    )


def _staff(username: str, *roles: tuple[str, Network, Library | None]) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    for kind, network, library in roles:
        StaffRole.objects.create(user=user, kind=kind, network=network, library=library)
    return user


@pytest.fixture
def librarian_bayeux(bayeux_library) -> User:
    return _staff("biblio.bayeux", (Kind.LIBRARY_STAFF, bayeux_library.network, bayeux_library))


@pytest.fixture
def librarian_lisieux(lisieux_library) -> User:
    return _staff("biblio.lisieux", (Kind.LIBRARY_STAFF, lisieux_library.network, lisieux_library))


@pytest.fixture
def librarian_caen(caen_library) -> User:
    return _staff("biblio.caen", (Kind.LIBRARY_STAFF, caen_library.network, caen_library))


@pytest.fixture
def admin_calvados(calvados) -> User:
    return _staff("admin.calvados", (Kind.NETWORK_ADMIN, calvados, None))


@pytest.fixture
def admin_caen(caen_network) -> User:
    return _staff("admin.caen", (Kind.NETWORK_ADMIN, caen_network, None))


@pytest.fixture
def finance_officer(calvados, caen_network) -> User:
    return _staff("finance", (Kind.FINANCE, calvados, None), (Kind.FINANCE, caen_network, None))


@pytest.fixture
def editor(calvados) -> User:
    return _staff("redaction", (Kind.EDITOR, calvados, None))


@pytest.fixture
def outsider(db) -> User:
    """Logged in, but with no role anywhere."""
    return User.objects.create_user("outsider", "outsider@example.org", PASSWORD)


@pytest.fixture
def patron_caen(caen_library):
    """An active patron of the Caen library, valid one year, with card and birth date."""
    from boite.patrons.factories import make_patron

    return make_patron(
        caen_library,
        email="camille.caen@example.org",
        password=PASSWORD,
        first_name="Camille",
        last_name="Lefèvre",
        card_number="CAEN0001",
    )


@pytest.fixture
def patron_bayeux(bayeux_library):
    """An active patron of the Bayeux library (departmental network), valid one year."""
    from boite.patrons.factories import make_patron

    return make_patron(
        bayeux_library,
        email="louise.bayeux@example.org",
        password=PASSWORD,
        first_name="Louise",
        last_name="Hébert",
        card_number="BAY0001",
    )


@pytest.fixture
def patron_expired(bayeux_library):
    """A patron of Bayeux whose registration expired a month ago."""
    from boite.patrons.factories import make_patron
    from boite.patrons.models import Patron

    return make_patron(
        bayeux_library,
        state=Patron.State.EXPIRED,
        email="paul.expire@example.org",
        password=PASSWORD,
        first_name="Paul",
        last_name="Durand",
        card_number="BAY0002",
    )


@pytest.fixture
def client(calvados) -> Client:
    """A browser on the departmental portal (host localhost)."""
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def caen_client(caen_network) -> Client:
    """A browser on the Caen la Mer portal (host caen.localhost)."""
    return Client(HTTP_HOST="caen.localhost")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit — e-mails above all (boite.lib.mail) — as a real
    commit would: `with on_commit(execute=True): client.post(…)`. Tests run inside a
    transaction that is never committed, so without it no e-mail leaves, and a test
    that checks that none did would prove nothing."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def login():
    """Log a client in as a user: `login(client, user)`."""

    def _login(client: Client, user: User) -> Client:
        client.force_login(user)
        return client

    return _login


# -- Browser tests (Playwright driving Debian's Chromium) ----------------------------

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"  # as bin/ensure-browser reads it
ARTIFACTS = Path(__file__).parent / "test-artifacts"
_CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `make browser` installs it, or set CHROMIUM."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make between two clicks are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=_CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser tab on the departmental portal; a screenshot is kept on failure."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def browser_login(page, live_server):
    """Log the browser tab in as a user: `browser_login(user)`."""
    from django.conf import settings

    def _login(user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )

    return _login
