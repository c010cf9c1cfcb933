"""Secrets at rest (boite.lib.crypto): encrypted in the database, never shown back.

The four secrets of the portal: a resource's harvest password, a distributor account's
password, a network's SIP2 login password, a connector's keys.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import translation
from django.utils.translation import pgettext

from boite.access.models import Connector
from boite.catalog.models import Provider, Resource
from boite.lending.models import DistributorAccount
from boite.lib import crypto
from boite.lib.env import env_fernet_keys
from boite.networks.models import Network, User
from boite.patrons.models import Patron, PatronRules
from boite.tests.admin_forms import admin_form_data
from boite.tests.pages import all_pages

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

COLUMNS = {
    Resource: "harvest_secret",
    DistributorAccount: "password",
    PatronRules: "sip2_login_password",
    Connector: "secrets",
}


def _raw(model, pk) -> str:
    """The column as the database holds it, past the ORM."""
    table, column = model._meta.db_table, COLUMNS[model]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def stored(calvados):
    """One row of each model with a secret, each secret a distinct clear text."""
    provider = Provider.objects.create(name="Fournisseur", slug="fournisseur", owner=calvados)
    resource = Resource.objects.create(
        provider=provider,
        name="R",
        slug="r",
        category="presse",
        harvest_secret="clair-moisson",
        owner=calvados,
    )
    account = DistributorAccount.objects.create(
        name="ODL",
        kind="odl",
        base_url="https://odl.example/",
        password="clair-odl",
        owner=calvados,
    )
    rules = PatronRules.objects.create(network=calvados, sip2_login_password="clair-sip2")
    connector = Connector(network=calvados, name="Lien", kind="signed_link")
    connector.set_secret("key", "clair-cle")
    connector.save()
    return {
        resource: "clair-moisson",
        account: "clair-odl",
        rules: "clair-sip2",
        connector: "clair-cle",
    }


# -- at rest ----------------------------------------------------------------------------


def test_the_database_holds_only_tokens(stored):
    for obj, clear in stored.items():
        raw = _raw(type(obj), obj.pk)
        assert clear not in raw and raw.startswith("gAAAAA"), type(obj).__name__
        fresh = type(obj).objects.get(pk=obj.pk)
        value = getattr(fresh, COLUMNS[type(obj)])
        assert value == ({"key": clear} if isinstance(obj, Connector) else clear)


def test_an_empty_secret_stays_empty_and_queryable(calvados):
    rules = PatronRules.objects.create(network=calvados)
    assert _raw(PatronRules, rules.pk) == ""
    assert PatronRules.objects.filter(sip2_login_password="").count() == 1
    connector = Connector.objects.create(network=calvados, name="Ouvert", kind="open_link")
    assert _raw(Connector, connector.pk) == "" and Connector.objects.get().secrets == {}


def test_the_same_secret_twice_gives_two_tokens(calvados, caen_network):
    one = PatronRules.objects.create(network=calvados, sip2_login_password="même")
    two = PatronRules.objects.create(network=caen_network, sip2_login_password="même")
    assert _raw(PatronRules, one.pk) != _raw(PatronRules, two.pk)


def test_without_dedicated_keys_the_key_is_derived_from_secret_key(settings, calvados):
    settings.BOITE_SECRET_KEYS = []
    rules = PatronRules.objects.create(network=calvados, sip2_login_password="dérivé")
    derived = Fernet(crypto.derive_key(settings.SECRET_KEY))
    assert derived.decrypt(_raw(PatronRules, rules.pk).encode()).decode() == "dérivé"


def test_rotation_moves_every_secret_to_the_newest_key(settings, stored):
    old, new = crypto.new_key(), crypto.new_key()
    settings.BOITE_SECRET_KEYS = [old]
    call_command("rotate_secrets", stdout=io.StringIO())
    for obj in stored:
        Fernet(old).decrypt(_raw(type(obj), obj.pk).encode())
    settings.BOITE_SECRET_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "catalog.Resource (harvest_secret): 1 rows" in out.getvalue()
    settings.BOITE_SECRET_KEYS = [new]  # the old key is gone: everything still reads
    for obj, clear in stored.items():
        assert Fernet(new).decrypt(_raw(type(obj), obj.pk).encode()).decode() in (
            clear,
            json.dumps({"key": clear}),
        )
    assert Resource.objects.get().harvest_secret == "clair-moisson"


def test_a_missing_key_fails_loudly_and_rotation_writes_nothing(settings, calvados):
    settings.BOITE_SECRET_KEYS = [crypto.new_key()]
    rules = PatronRules.objects.create(network=calvados, sip2_login_password="perdu")
    token = _raw(PatronRules, rules.pk)
    settings.BOITE_SECRET_KEYS = [crypto.new_key()]
    with pytest.raises(crypto.UnknownKey, match="BOITE_SECRET_KEYS"):
        PatronRules.objects.get(pk=rules.pk)
    with pytest.raises(Exception, match=r"patrons\.PatronRules .*put back the key"):
        call_command("rotate_secrets", stdout=io.StringIO())
    assert _raw(PatronRules, rules.pk) == token


def test_new_key_prints_a_fernet_key():
    out = io.StringIO()
    call_command("rotate_secrets", "--new-key", stdout=out)
    Fernet(out.getvalue().strip())  # raises if it is not one


def test_a_malformed_key_stops_the_start_with_the_variable_name(monkeypatch):
    good = crypto.new_key()
    monkeypatch.setenv("BOITE_SECRET_KEYS", f"{good}, pas-une-cle")
    with pytest.raises(ImproperlyConfigured, match="BOITE_SECRET_KEYS: key number 2"):
        env_fernet_keys("BOITE_SECRET_KEYS")
    monkeypatch.setenv("BOITE_SECRET_KEYS", f" {good} ,")
    assert env_fernet_keys("BOITE_SECRET_KEYS") == [good]


def test_deploy_check_warns_without_a_dedicated_key(settings):
    settings.BOITE_SECRET_KEYS = []
    assert [w.id for w in crypto.check_dedicated_keys()] == ["boite.W001"]
    settings.BOITE_SECRET_KEYS = [crypto.new_key()]
    assert crypto.check_dedicated_keys() == []


def test_migrations_encrypt_existing_values_and_decrypt_them_back(tmp_path):
    # The suite runs without migrations: a fresh process migrates a scratch SQLite file.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(BOITE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="boite.settings")
    result = subprocess.run(
        [sys.executable, "-m", "boite.tests.migrate_secrets_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    clear = ["clear-harvest", "clear-odl", "clear-key", "clear-sip2", "clear-sushi"]
    for table, value in report["after"].items():
        assert value.startswith("gAAAAA") and not any(c in value for c in clear), table
    assert report["read"] == clear
    assert report["rolled_back"] == report["before"]
    assert report["before"]["patrons_patronrules"] == "clear-sip2"
    assert report["before"]["stats_provideraccount"] == "clear-sushi"


# -- never shown back ---------------------------------------------------------------------


def test_admin_form_keeps_replaces_and_clears_a_secret(
    client, login, admin_calvados, stored, calvados
):
    resource = next(o for o in stored if isinstance(o, Resource))
    resource.networks.add(calvados)
    login(client, admin_calvados)
    url = f"/admin/catalog/resource/{resource.pk}/change/"
    page = client.get(url)
    html = page.content.decode()
    assert "clair-moisson" not in html
    assert 'name="harvest_secret"' in html and 'value=""' in html
    assert 'name="harvest_secret_clear"' in html  # set: it may be cleared
    data = admin_form_data(page)

    # Left empty: unchanged (the description changes, to see the save happened).
    assert client.post(url, {**data, "description": "Revue"}).status_code == 302
    resource.refresh_from_db()
    assert resource.harvest_secret == "clair-moisson" and resource.description == "Revue"

    # Typed and cleared at once: refused, nothing changes, the typed value is not echoed.
    both = client.post(url, {**data, "harvest_secret": "nouveau-1", "harvest_secret_clear": "on"})
    assert both.status_code == 200
    assert "Saisissez un nouveau secret ou effacez-le, pas les deux." in both.content.decode()
    assert "nouveau-1" not in both.content.decode() and "clair-moisson" not in both.content.decode()
    resource.refresh_from_db()
    assert resource.harvest_secret == "clair-moisson"

    # Typed: replaced.
    assert client.post(url, {**data, "harvest_secret": "nouveau-2"}).status_code == 302
    resource.refresh_from_db()
    assert resource.harvest_secret == "nouveau-2"
    assert "nouveau-2" not in _raw(Resource, resource.pk)

    # Cleared.
    assert client.post(url, {**data, "harvest_secret_clear": "on"}).status_code == 302
    resource.refresh_from_db()
    assert resource.harvest_secret == "" and _raw(Resource, resource.pk) == ""
    assert 'name="harvest_secret_clear"' not in client.get(url).content.decode()


def test_sip2_password_is_write_only_for_the_network_admin(client, login, admin_calvados, stored):
    rules = next(o for o in stored if isinstance(o, PatronRules))
    login(client, admin_calvados)
    url = f"/admin/patrons/patronrules/{rules.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "clair-sip2" not in page.content.decode()
    data = admin_form_data(page)
    assert client.post(url, {**data, "trial_days": "14"}).status_code == 302
    rules.refresh_from_db()
    assert rules.sip2_login_password == "clair-sip2" and rules.trial_days == 14


def test_a_view_only_page_shows_whether_a_secret_is_set_never_its_value(
    client, login, librarian_bayeux, stored, calvados
):
    resource = next(o for o in stored if isinstance(o, Resource))
    resource.networks.add(calvados)
    login(client, librarian_bayeux)
    html = client.get(f"/admin/catalog/resource/{resource.pk}/change/").content.decode()
    assert "clair-moisson" not in html and 'name="harvest_secret"' not in html
    with translation.override("fr"):
        assert resource.harvest_secret_state == pgettext("secret", "set")
        assert f'<div class="readonly">{pgettext("secret", "set")}</div>' in html


def test_no_secret_appears_in_any_page_for_any_persona(settings, tmp_path):
    """Every page of the portal and every admin page of the four models, as each persona."""
    settings.CATALOG_INDEX_DIR = tmp_path / "index"
    call_command("load_demo", stdout=io.StringIO())
    markers = []
    for model, field in COLUMNS.items():
        for obj in model.objects.all():
            marker = f"zz-{model._meta.model_name}-{obj.pk}-secret"
            if model is Connector:
                obj.set_secret("key", marker)
            else:
                setattr(obj, field, marker)
            obj.save()
            markers.append(marker)
    for network in Network.objects.all():
        rules = PatronRules.for_network(network)
        rules.sip2_login_password = marker = f"zz-sip2-{network.slug}-secret"
        rules.save()
        markers.append(marker)
    assert len(markers) >= 8 and DistributorAccount.objects.exists()

    outsider = User.objects.create_user("outsider.secrets", "o@example.org", "x")
    patron = Patron.objects.filter(user__isnull=False, network__slug="boite-numerique").first()
    personas = [
        *User.objects.filter(
            username__in=["admin", "admin.calvados", "admin.caen", "biblio.bayeux", "finance"]
        ),
        User.objects.get(username="redaction"),
        outsider,
        patron.user,
    ]
    admin_pages = ["/admin/"]
    for model in COLUMNS:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        admin_pages.append(base)
        for pk in model.objects.values_list("pk", flat=True):
            admin_pages += [f"{base}{pk}/change/", f"{base}{pk}/history/"]
    # Logging out would make the rest of the walk anonymous.
    paths = [p.path for p in all_pages() if not p.name.endswith("logout")] + admin_pages

    leaks, seen_by_admin = [], 0
    for user in personas:
        browser = Client(HTTP_HOST="localhost")
        browser.force_login(user)
        for path in paths:
            response = browser.get(path)
            body = (
                b"".join(response.streaming_content) if response.streaming else response.content
            ).decode("utf-8", "replace")
            leaks += [f"{user.username} {path}: {m}" for m in markers if m in body]
            if user.username == "admin.calvados" and response.status_code == 200:
                seen_by_admin += path in admin_pages
    assert not leaks, "\n".join(leaks)
    assert seen_by_admin >= 8  # the administrator did open the change pages
    for model in COLUMNS:  # and the database has them encrypted
        for obj in model.objects.all():
            assert not any(m in _raw(model, obj.pk) for m in markers)
