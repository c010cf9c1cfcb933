"""The export's registry: each app that keeps data about a patron adds its part."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from boite.patrons import personal_data, services
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_every_app_keeping_patron_data_has_its_part_in_the_download(patron_bayeux):
    client = Client(HTTP_HOST="localhost")
    client.post("/connexion/", {"identifier": patron_bayeux.email, "secret": PASSWORD})
    data = json.loads(client.get("/compte/mes-donnees.json").content)
    parts = {"email", "history", "loans", "holds", "resources_opened", "statistical_events"}
    assert parts <= set(data)
    # A patron who did nothing yet: empty parts; the download itself is in the history.
    assert data["loans"] == data["holds"] == data["resources_opened"] == []
    assert data["statistical_events"] == []
    assert [e["event"] for e in data["history"]] == ["exported"]


def test_a_section_name_cannot_be_taken_twice(patron_bayeux):
    with pytest.raises(ValueError, match="loans"):
        personal_data.section("loans")(lambda patron: [])
    assert services.export(patron_bayeux)["loans"] == []  # the first one stays
