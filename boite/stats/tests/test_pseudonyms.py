"""The statistics keep a keyed hash of each patron's pseudonym (STATS_PSEUDONYM_KEY),
never a value of the patron table."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.utils import timezone

from boite.patrons.factories import make_patron
from boite.stats.events import EventKind, record_event, stats_pseudonym
from boite.stats.models import Event


def test_the_key_of_the_statistics_is_the_one_used(settings):
    settings.STATS_PSEUDONYM_KEY = "une clé"
    first = stats_pseudonym("a" * 32)
    settings.STATS_PSEUDONYM_KEY = "une autre clé"
    assert stats_pseudonym("a" * 32) != first
    assert stats_pseudonym("a" * 32) == stats_pseudonym("a" * 32)


def test_no_event_joins_the_patron_table(bayeux_library):
    patron = make_patron(bayeux_library)
    record_event(EventKind.ACCESS_GRANTED, patron=patron.pseudonym, resource="cafeyn")
    stored = set(Event.objects.values_list("patron", flat=True))
    assert stored == {stats_pseudonym(patron.pseudonym)}
    assert not type(patron).objects.filter(pseudonym__in=stored).exists()


def test_the_migration_hashes_the_pseudonyms_already_recorded(bayeux_library):
    migration = importlib.import_module("boite.stats.migrations.0006_events_keep_a_keyed_hash")
    patron = make_patron(bayeux_library)
    now, today = timezone.now(), timezone.localdate()
    Event.objects.create(kind=EventKind.REGISTRATION, occurred_at=now, day=today,
                         patron=patron.pseudonym)  # fmt: skip
    Event.objects.create(kind=EventKind.REGISTRATION, occurred_at=now, day=today,
                         patron="f" * 32)  # fmt: skip
    migration.hash_patron_pseudonyms(apps, None)
    assert sorted(Event.objects.values_list("patron", flat=True)) == sorted(
        [stats_pseudonym(patron.pseudonym), "f" * 32]
    )
