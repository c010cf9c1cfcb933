"""The load-test scenario of `make loadtest` (locust, headless; see bench/loadtest.py).

Two kinds of visitors on the two portals, chosen by Host header like the real ones:

- `Visitor` (three in four): anonymous browsing — home pages of both networks, the
  library directory and its search, category pages, the search page, a library page;
- `PatronVisitor` (one in four): logs in as a demo patron of its network, reads its
  account page, opens a CAS provider (login + serviceValidate round trip), browses,
  and now and then logs out and in again.

Each request type is one `@task` method with its weight and a stable `name=` (the row of
the report). When the catalogue, lending and statistics land, their pages are one task
each here: `search` (facets) and `record` pages on `Visitor`, `access_click` and
`borrow` on `PatronVisitor`.
"""

from __future__ import annotations

import os
import random
import re
from urllib.parse import parse_qs, quote, urlsplit

from locust import FastHttpUser, between, task

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo-boite-2026")
CAS_SERVICE = os.environ.get("LOADTEST_CAS_SERVICE", "https://provider.example/cas/callback")
# (Host header, demo patron able to log in there)
PORTALS = [
    ("localhost", "usager.bayeux@demo.example"),
    ("caen.localhost", "usager.caen@demo.example"),
]
CATEGORIES = ["cinema", "formation", "musique", "presse", "livre", "livre-audio", "jeu-video"]
TOWNS = ["bayeux", "caen", "lisieux", "vire", "falaise", "honfleur", "mediatheque", "ouistreham"]
WORDS = ["cinéma", "histoire", "anglais", "jazz", "roman policier", "bande dessinée", "code"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LIBRARY_LINK = re.compile(r'href="(/bibliotheques/[a-z0-9-]+/)"')


class _Portal(FastHttpUser):
    abstract = True
    wait_time = between(1, 5)  # a person reading a page before the next click

    def on_start(self) -> None:
        self.host_header, self.email = random.choice(PORTALS)

    def get(self, path: str, name: str, **kwargs):
        headers = {"Host": self.host_header, **kwargs.pop("headers", {})}
        return self.client.get(path, name=name, headers=headers, **kwargs)


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

    @task(2)
    def search(self) -> None:
        self.get(f"/recherche/?q={quote(random.choice(WORDS))}", name="search page")


class PatronVisitor(_Portal):
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.login()

    def login(self) -> None:
        form = self.get("/connexion/", name="login form")
        token = CSRF.search(form.text or "")
        with self.client.post(
            "/connexion/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "identifier": self.email,
                "secret": PASSWORD,
            },
            headers={"Host": self.host_header},
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

    @task(2)
    def home(self) -> None:
        self.get("/", name="home (both networks)")

    @task(1)
    def category(self) -> None:
        self.get(f"/categories/{random.choice(CATEGORIES)}/", name="category page")

    @task(1)
    def login_again(self) -> None:
        """The end of one visit and the start of the next."""
        self.client.cookiejar.clear()
        self.login()
