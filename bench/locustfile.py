"""The load-test scenario of `make loadtest` (locust, headless; see bench/loadtest.py).

Two kinds of visitors on the two portals, chosen by Host header like the real ones:

- `Visitor` (three in four): anonymous browsing — home pages of both networks, the
  library directory and its search, category pages, catalogue searches with facets (the
  search page and the JSON API) and the record pages they lead to, a library page;
- `PatronVisitor` (one in four): logs in with an account of its own (bench/loadtest.py
  creates them), reads its account page, opens a CAS provider (login + serviceValidate
  round trip), clicks « Accéder » on a resource (the gate, whose redirect is followed to
  the fake provider on 127.0.0.1, which checks the signature), borrows a PNB e-book and
  returns it (against the fake PNB distributor on 127.0.0.1), browses, and now and then
  logs out and in again.

Each request type is one stable `name=` (the row of the report). Only the portal's
requests are counted: the check at the fake provider goes through a plain client.
Every visitor comes from an address of its own, as a reverse proxy reports it
(X-Forwarded-For; bench/loadtest.py starts gunicorn with TRUSTED_PROXIES=1): the rate
limits count per address, and 200 people are not one address.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import urllib.request
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from locust import FastHttpUser, between, task

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo-boite-2026")
CAS_SERVICE = os.environ.get("LOADTEST_CAS_SERVICE", "https://provider.example/cas/callback")
PROVIDER = os.environ.get("LOADTEST_PROVIDER", "")  # origin of the fake provider
PATRONS = int(os.environ.get("LOADTEST_PATRONS", "0"))  # accounts per portal
# Host header → the e-mail of its n-th load-test patron (bench/loadtest.py: PATRON_EMAIL)
PORTALS = ["localhost", "caen.localhost"]
PATRON_EMAIL = "charge{n:03d}@{host}.example"
CATEGORIES = ["cinema", "formation", "musique", "presse", "livre", "livre-audio", "jeu-video"]
KINDS = ["film", "documentaire", "magazine", "journal", "ebook", "livre-audio", "cours", "jeu"]
AUDIENCES = ["all", "adult", "youth"]
TOWNS = ["bayeux", "caen", "lisieux", "vire", "falaise", "honfleur", "mediatheque", "ouistreham"]
# What people type: titles, subjects, plurals and missing accents (stemming, folding).
WORDS = [
    "cinéma", "cinema", "polar", "polars", "anglais", "normandie", "jazz", "la mer",
    "cuisine", "enquête", "apprendre", "phare", "voyage", "enfants", "honfleur", "guitare",
    "code de la route", "photographie", "bovary", "contes", "baleine", "histoire",
    "roman policier", "bande dessinée", "presse quotidienne", "yoga", "excel", "",
]  # fmt: skip
# Resources whose « Accéder » leads to the fake provider (signed and open links).
ACCESSIBLE = [
    "mediatheque-numerique", "cafeyn", "vodeclic", "toutapprendre", "ma-petite-mediatheque",
    "philharmonie",
]  # fmt: skip
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LIBRARY_LINK = re.compile(r'href="(/bibliotheques/[a-z0-9-]+/)"')
RECORD_LINK = re.compile(r'href="/notices/(\d+)/"')
GATE_LINK = re.compile(r'href="(/acces/[a-z0-9-]+/(?:\d+/)?)"')
BORROW_LINK = re.compile(r'href="(/prets/emprunter/\d+/)"')
LOAN_UUID = re.compile(
    r'action="/compte/prets/rendre/".*?name="loan" value="([0-9a-f-]{36})"', re.DOTALL
)
_accounts = {host: itertools.count() for host in PORTALS}


def _facets() -> dict[str, str | list[str]]:
    """A query as people build it: words, then a facet or two, sometimes a sort."""
    params: dict[str, str | list[str]] = {"q": random.choice(WORDS)}
    if random.random() < 0.5:
        params["category"] = random.sample(CATEGORIES, random.choice((1, 1, 2)))
    if random.random() < 0.3:
        params["kind"] = [random.choice(KINDS)]
    if random.random() < 0.2:
        params["audience"] = [random.choice(AUDIENCES)]
    if random.random() < 0.15:
        params["language"] = ["fre"]
    if random.random() < 0.15:
        params["year_min"] = str(random.choice((1990, 2000, 2010, 2020)))
    if random.random() < 0.2:
        params["sort"] = random.choice(("newest", "title"))
    return params


class _Portal(FastHttpUser):
    abstract = True
    wait_time = between(1, 5)  # a person reading a page before the next click

    def on_start(self) -> None:
        self.host_header = random.choice(PORTALS)
        # The visitor's address, as the reverse proxy in front of the portal appends it.
        self.address = "10." + ".".join(str(random.randrange(1, 255)) for _n in range(3))

    def headers(self, extra: dict) -> dict:
        return {"Host": self.host_header, "X-Forwarded-For": self.address, **extra}

    def get(self, path: str, name: str, **kwargs):
        headers = self.headers(kwargs.pop("headers", {}))
        return self.client.get(path, name=name, headers=headers, **kwargs)

    def post(self, path: str, data: dict, name: str, **kwargs):
        headers = self.headers(kwargs.pop("headers", {}))
        return self.client.post(path, data=data, name=name, headers=headers, **kwargs)

    def search_then_record(self) -> None:
        """The search page with facets, then a record of its results."""
        response = self.get(f"/recherche/?{urlencode(_facets(), doseq=True)}", name="search page")
        ids = RECORD_LINK.findall(response.text or "")
        if ids:
            self.get(f"/notices/{random.choice(ids)}/", name="record page")


class Visitor(_Portal):
    weight = 3

    @task(4)
    def home(self) -> None:
        self.get("/", name="home (both networks)")

    @task(3)
    def library_search(self) -> None:
        response = self.get(
            f"/bibliotheques/?q={quote(random.choice(TOWNS))}", name="library directory search"
        )
        links = LIBRARY_LINK.findall(response.text or "")
        if links:
            self.get(random.choice(links), name="library page")

    @task(3)
    def category(self) -> None:
        self.get(f"/categories/{random.choice(CATEGORIES)}/", name="category page")

    @task(4)
    def search(self) -> None:
        self.search_then_record()

    @task(2)
    def api_search(self) -> None:
        """The JSON API with filters (a library's own site, a mobile app), then a record."""
        with self.get(
            f"/api/search?{urlencode(_facets(), doseq=True)}",
            name="API search (filters)",
            catch_response=True,
        ) as response:
            try:
                hits = response.json()["results"]
            except (ValueError, KeyError, TypeError):
                response.failure("not a search answer")
                return
        if hits:
            self.get(f"/api/records/{random.choice(hits)['id']}", name="API record")


class PatronVisitor(_Portal):
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        n = next(_accounts[self.host_header])
        if PATRONS:
            n %= PATRONS
        self.email = PATRON_EMAIL.format(n=n, host=self.host_header)
        self.login()

    def login(self) -> None:
        form = self.get("/connexion/", name="login form")
        token = CSRF.search(form.text or "")
        with self.post(
            "/connexion/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "identifier": self.email,
                "secret": PASSWORD,
            },
            name="login (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/compte/" not in response.headers.get(
                "Location", ""
            ):
                response.failure(f"login refused ({response.status_code})")

    @task(4)
    def account(self) -> None:
        with self.get("/compte/", name="account page", catch_response=True) as response:
            if response.status_code != 200 or "connexion" in response.url:
                response.failure("not logged in")

    @task(2)
    def cas_round_trip(self) -> None:
        service = quote(CAS_SERVICE, safe="")
        with self.get(
            f"/cas/login?service={service}",
            name="CAS login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            ticket = parse_qs(urlsplit(location).query).get("ticket", [""])[0]
            if response.status_code != 302 or not ticket.startswith("ST-"):
                response.failure(f"no ticket ({response.status_code})")
                return
        with self.get(
            f"/cas/serviceValidate?service={service}&ticket={ticket}",
            name="CAS serviceValidate",
            catch_response=True,
        ) as response:
            if "cas:authenticationSuccess" not in (response.text or ""):
                response.failure("ticket not validated")

    @task(3)
    def access_click(self) -> None:
        """« Accéder » on a resource page: the gate answers with a redirect to the provider,
        which is followed — to the fake provider on 127.0.0.1, never further."""
        page = self.get(f"/ressources/{random.choice(ACCESSIBLE)}/", name="resource page")
        links = GATE_LINK.findall(page.text or "")
        if not links:
            return
        with self.get(
            links[0], name="access click (gate)", allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 403 and "prochain accès" in (response.text or ""):
                response.success()  # the quota is used up: the gate said so, as it should
                return
            if response.status_code != 302 or not PROVIDER or not location.startswith(PROVIDER):
                response.failure(f"no hand-over to the provider ({response.status_code})")
                return
            # The provider's side is not the portal's time: a plain client, not counted.
            try:
                with urllib.request.urlopen(location, timeout=10) as answer:  # noqa: S310
                    text = answer.read().decode()
            except OSError as error:
                response.failure(f"the provider refused the hand-over ({error})")
                return
            if "recognised as" not in text and "page /" not in text:
                response.failure("the provider did not recognise the patron")

    @task(2)
    def borrow_and_return(self) -> None:
        """An e-book found by the catalogue's filters: its page, « Emprunter », the form,
        « Mes prêts », « Rendre maintenant »."""
        category = random.choice(("livre", "livre-audio"))
        response = self.get(
            f"/api/search?category={category}&per_page=50", name="API search (filters)"
        )
        try:
            hits = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            return
        if not hits:
            return
        record = self.get(f"/notices/{random.choice(hits)['id']}/", name="record page")
        link = BORROW_LINK.search(record.text or "")
        if not link:
            return  # every copy is out (the page offers a hold) or the patron has it already
        form = self.get(link.group(1), name="borrow form")
        token = CSRF.search(form.text or "")
        if not token:
            return
        with self.post(
            link.group(1),
            data={
                "csrfmiddlewaretoken": token.group(1),
                "days": "14",
                "passphrase": "lecture au calme",
                "hint": "la phrase habituelle",
            },
            name="borrow (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                response.success()  # the last copy went to someone else meanwhile: the page
                return  # says so and offers a hold, as it should
            if response.status_code == 200 and "errorlist" in (response.text or ""):
                return  # a limit of the network (loans at once, per month): said clearly
            if response.status_code != 302:
                response.failure(f"borrow: {response.status_code}")
                return
        loans = self.get("/compte/prets/", name="my loans")
        uuids = LOAN_UUID.findall(loans.text or "")
        token = CSRF.search(loans.text or "")
        if not uuids or not token:
            return
        with self.post(
            "/compte/prets/rendre/",
            data={"csrfmiddlewaretoken": token.group(1), "loan": uuids[0]},
            name="return (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"return: {response.status_code}")

    @task(2)
    def home(self) -> None:
        self.get("/", name="home (both networks)")

    @task(2)
    def search(self) -> None:
        self.search_then_record()

    @task(1)
    def category(self) -> None:
        self.get(f"/categories/{random.choice(CATEGORIES)}/", name="category page")

    @task(1)
    def login_again(self) -> None:
        """The end of one visit and the start of the next."""
        self.client.cookiejar.clear()
        self.login()
