"""The administrator of the other network, walking every change form of the back office.

Two networks share one installation: each one's staff are strangers to the other's
data. With the demo loaded, the administrator of Caen la Mer (`admin.caen`) and a
librarian of a Calvados library walk every registered admin model:

- an object the superuser sees and the stranger's list does not is not served for
  editing, and a POST of its change form — the form exactly as a browser would send
  it, with its text changed — leaves the row as it was;
- an object both network administrators see (a shared provider, resource, connector,
  distributor account) may be changed by one of them at most: it has one owner.

The walk is built from the admin registry, so a new model is checked as soon as it
is registered.
"""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.core import serializers
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from lxml import html

from boite.networks.models import User

pytestmark = pytest.mark.django_db

MARK = "PIRATE"


def _request(user: User):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _snapshot(obj) -> dict:
    obj.refresh_from_db()
    fields = serializers.serialize("python", [obj])[0]["fields"]
    fields.pop("last_login", None)  # logging the personas in is not a change
    return fields


def _change_url(model_admin, obj) -> str:
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


TEXT_FIELDS = {
    "name",
    "title",
    "tagline",
    "description",
    "body",
    "label",
    "text",
    "summary",
    "card_number",
    "note",
    "notes",
    "phone",
}


def _form_values(page: bytes, mark: str = MARK) -> dict[str, str | list[str]]:
    """What a browser submits from the admin's change form, with its text changed: the
    names and titles marked, every address pointed at the attacker's server."""
    document = html.fromstring(page.decode())
    forms = [f for f in document.forms if f.get("id", "").endswith("_form")]
    assert forms, "no change form in the page"
    form = forms[0]
    kinds = {}
    for element in form.inputs:
        if element.name:
            kinds[element.name] = element.get("type", element.tag)
    values: dict[str, list[str]] = {}
    for name, value in form.form_values():
        kind = kinds.get(name, "")
        field = name.split("-")[-1]
        if kind == "url":
            value = "https://attacker.example/x"
        elif kind in ("text", "textarea") and field in TEXT_FIELDS:
            value = f"{mark} {value}"[:80]
        values.setdefault(name, []).append(value)
    return {name: v[0] if len(v) == 1 else v for name, v in values.items()}


def _models():
    yield from admin.site._registry.items()


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())
    return {
        "superuser": User.objects.get(username="admin"),
        "admin_caen": User.objects.get(username="admin.caen"),
        "admin_calvados": User.objects.get(username="admin.calvados"),
        "biblio_caen": User.objects.get(username="biblio.caen"),
    }


def _client(user: User) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _post_changes_row(client: Client, url: str, values: dict, obj) -> bool:
    before = _snapshot(obj)
    client.post(url, values)
    return _snapshot(obj) != before


# The walk proves something only where the superuser's own POST of the same values
# does change the row (a form that is invalid for everyone proves nothing): these
# models must be among the ones it proved.
MUST_PROBE = {"Connector", "Library", "Post", "Document", "Event", "Patron"}


def _walk_strangers(demo, stranger_name: str) -> tuple[list[str], set[str]]:
    stranger = demo[stranger_name]
    superuser_client = _client(demo["superuser"])
    stranger_client = _client(stranger)
    wrong, probed = [], set()
    for model, model_admin in _models():
        seen_by_all = model_admin.get_queryset(_request(demo["superuser"]))
        seen_by_stranger = model_admin.get_queryset(_request(stranger))
        foreign = seen_by_all.exclude(pk__in=seen_by_stranger.values("pk")).order_by("pk")[:3]
        for obj in foreign:
            url = _change_url(model_admin, obj)
            page = superuser_client.get(url)
            if page.status_code != 200:
                continue
            answer = stranger_client.get(url)
            if answer.status_code == 200 and b'name="_save"' in answer.content:
                wrong.append(f"{stranger_name} is served the change form of {model.__name__} {obj}")
            values = _form_values(page.content)
            if _post_changes_row(stranger_client, url, values, obj):
                wrong.append(f"{stranger_name} changed {model.__name__} {obj}")
            elif _post_changes_row(superuser_client, url, values, obj):
                probed.add(model.__name__)
    return wrong, probed


def test_the_other_networks_administrator_changes_nothing_of_it(demo):
    wrong, probed = _walk_strangers(demo, "admin_caen")
    assert not wrong, "\n".join(wrong)
    assert probed >= MUST_PROBE, f"not proved: {sorted(MUST_PROBE - probed)}"


def test_library_staff_of_another_network_change_nothing_of_it(demo):
    wrong, probed = _walk_strangers(demo, "biblio_caen")
    assert not wrong, "\n".join(wrong)
    assert probed >= {"Library", "Patron", "DistributorAccount"}, f"proved only: {sorted(probed)}"


# The consortium's finances are held by both partners together (a partnership agreement
# shares costs 50/50): its agreement, contracts and committees are the consortium's, and
# the finance role of both networks keeps them. They are not « shared things of one
# network » and are left out of the one-owner rule.
JOINT = {"Agreement", "Contract", "Committee", "Meeting", "Decision"}


def test_a_shared_object_has_one_owner(demo):
    """Both network administrators may see a shared row; the POST of its change form
    changes it for one of them at most, and leaves it as it was for the other."""
    caen, calvados = demo["admin_caen"], demo["admin_calvados"]
    superuser_client = _client(demo["superuser"])
    wrong, probed = [], set()
    for model, model_admin in _models():
        if model.__name__ in JOINT:
            continue
        seen_by_caen = model_admin.get_queryset(_request(caen))
        shared = model_admin.get_queryset(_request(calvados)).filter(
            pk__in=seen_by_caen.values("pk")
        )
        for obj in shared.order_by("pk")[:5]:
            url = _change_url(model_admin, obj)
            page = superuser_client.get(url)
            if page.status_code != 200:
                continue
            # Each administrator posts the form with their own mark: a row of its own
            # (a resource's per-network settings live apart) changes for one of them at
            # most — its owner's.
            changed_by = [
                who.username
                for who in (caen, calvados)
                if _post_changes_row(
                    _client(who), url, _form_values(page.content, f"{MARK}-{who.pk}"), obj
                )
            ]
            if len(changed_by) > 1:
                wrong.append(f"{model.__name__} {obj}: changed by {', '.join(changed_by)}")
            elif changed_by:
                probed.add(model.__name__)
            elif _post_changes_row(superuser_client, url, _form_values(page.content), obj):
                probed.add(model.__name__)  # the consortium's: the superuser changes it
    assert not wrong, "\n".join(wrong)
    # The owner's own POST of the same values changes the row: the probe can fail.
    assert probed >= {"Provider", "Resource", "DistributorAccount"}, sorted(probed)


# Staff pages under /gestion/ and the professional space that name one object of the
# departmental network: the stranger of the other network is refused (403 or 404, never
# the page nor a redirect that did the work), by GET and by POST, and the object stays.
STAFF_PAGES_OF_ONE_OBJECT = (
    "patrons:staff_",
    "finance:campaign",
    "finance:membership_state",
    "finance:letter",
    "pro:post_edit",
    "pro:attachment_add",
    "pro:event_edit",
    "pro:event_message",
    "pro:document_version",
)


def _target(name: str, kwargs: dict):
    from django.apps import apps

    model = {
        "patrons": "patrons.Patron",
        "finance:campaign": "finance.Campaign",
        "finance:membership_state": "finance.Membership",
        "finance:letter": "finance.Membership",
        "pro:post": "pro.Post",
        "pro:attachment": "pro.Post",
        "pro:event": "pro.Event",
        "pro:document": "pro.Document",
    }
    for prefix, label in model.items():
        if name.startswith(prefix):
            return apps.get_model(label).objects.get(pk=kwargs["pk"])
    raise AssertionError(f"no target model for {name}")


@pytest.mark.parametrize("stranger_name", ["admin_caen", "biblio_caen"])
def test_staff_pages_refuse_the_other_networks_staff(demo, stranger_name):
    from boite.tests.pages import EXAMPLES

    client = _client(demo[stranger_name])
    wrong, walked = [], 0
    for name, example in EXAMPLES.items():
        if not name.startswith(STAFF_PAGES_OF_ONE_OBJECT):
            continue
        kwargs = example()
        target = _target(name, kwargs)
        before = _snapshot(target)
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            answer = getattr(client, method)(url, {"note": MARK, "card_number": MARK})
            if answer.status_code not in (403, 404, 405):
                wrong.append(f"{name} {method.upper()} {url}: {answer.status_code}")
        if _snapshot(target) != before:
            wrong.append(f"{name}: {target} changed")
        walked += 1
    assert not wrong, "\n".join(wrong)
    assert walked >= 15, walked
