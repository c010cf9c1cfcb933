from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from boite.stats.events import (
    EventKind,
    age_band,
    record_event,
    stats_pseudonym,
)
from boite.stats.models import DailyCount, Event, MonthlyUnique, RollupRun
from boite.stats.rollup import rollup

from .conftest import at, pseudo

pytestmark = pytest.mark.django_db


def test_record_event_writes_one_row_with_its_local_day(bayeux_library):
    event = record_event(
        EventKind.ACCESS_GRANTED,
        occurred_at=at("2026-03-01", hour=0),  # 23:00 UTC the day before
        patron=pseudo(42),
        library=bayeux_library,
        resource="cafeyn",
    )
    event.refresh_from_db()
    assert event.day == date(2026, 3, 1)
    # The table keeps a keyed hash of the pseudonym, never the pseudonym itself.
    assert event.patron == stats_pseudonym(pseudo(42)) != stats_pseudonym(pseudo(43))
    assert event.patron != pseudo(42) and len(event.patron) == 32


@pytest.mark.parametrize(
    "fields",
    [
        {"patron": "jeanne.dupont@example.org"},
        {"patron": "29001004567890"},
        {"colour": "red"},
        {"age_band": "40-50"},
    ],
)
def test_record_event_refuses_personal_data_and_unknown_fields(fields):
    with pytest.raises(ValueError):
        record_event(EventKind.LOAN, **fields)
    assert not Event.objects.exists()


def test_record_event_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        record_event("teleportation")


def test_age_bands():
    on = date(2026, 6, 1)
    assert age_band(None) == ""
    assert age_band(date(2016, 6, 2), on) == "0-11"
    assert age_band(date(2014, 6, 1), on) == "12-17"
    assert age_band(date(2001, 1, 1), on) == "18-25"
    assert age_band(date(1980, 1, 1), on) == "26-64"
    assert age_band(date(1950, 1, 1), on) == "65+"


def _march():
    return rollup(date(2026, 3, 1), date(2026, 3, 31))


def test_daily_counts_agree_with_raw_events(some_events):
    _march()
    march = Event.objects.filter(day__month=3)
    assert DailyCount.objects.aggregate(n=Sum("count"))["n"] == march.count() == 12
    cafeyn = DailyCount.objects.filter(kind="access_granted", resource="cafeyn")
    assert cafeyn.aggregate(n=Sum("count"))["n"] == 6
    first = DailyCount.objects.get(day=date(2026, 3, 1), kind="access_granted", resource="cafeyn")
    assert (first.count, first.patrons) == (2, 1)


def test_rolling_up_again_never_counts_twice(some_events):
    _march()
    before = sorted(DailyCount.objects.values_list("day", "kind", "count", "patrons"))
    _march()
    call_command("rollup", since="2026-03-01", until="2026-03-31", verbosity=0)
    after = sorted(DailyCount.objects.values_list("day", "kind", "count", "patrons"))
    assert before == after
    assert RollupRun.objects.filter(ok=True).count() == 3


def test_monthly_uniques_are_distinct_patrons_not_a_sum_of_days(some_events, calvados):
    _march()
    # Patron 1 opened Cafeyn on three different days: one unique patron of the month.
    row = MonthlyUnique.objects.get(
        level="resource", network=calvados, resource="cafeyn", kind="access_granted"
    )
    assert row.patrons == 2
    daily_sum = DailyCount.objects.filter(
        network=calvados, resource="cafeyn", kind="access_granted"
    ).aggregate(n=Sum("patrons"))["n"]
    assert daily_sum == 4
    active = MonthlyUnique.objects.get(level="network", network=calvados, kind="")
    assert active.patrons == 3


def test_roll_ups_are_the_same_when_rolled_up_again(some_events, calvados):
    _march()
    before = sorted(DailyCount.objects.values_list("day", "kind", "count", "patrons"))
    uniques = sorted(MonthlyUnique.objects.values_list("level", "kind", "patrons"))
    assert Event.objects.filter(patron=stats_pseudonym(pseudo(1))).count() == 5
    _march()
    assert sorted(DailyCount.objects.values_list("day", "kind", "count", "patrons")) == before
    assert sorted(MonthlyUnique.objects.values_list("level", "kind", "patrons")) == uniques


def test_the_command_defaults_to_yesterday(some_events, time_machine):
    time_machine.move_to("2026-03-16 08:00+01:00")
    call_command("rollup", verbosity=0)
    assert set(DailyCount.objects.values_list("day", flat=True)) == {date(2026, 3, 15)}


def test_the_command_refuses_a_bad_day():
    with pytest.raises(CommandError):
        call_command("rollup", since="last tuesday", verbosity=0)


def test_the_nightly_task_rolls_up_yesterday(some_events, time_machine):
    from boite.stats.tasks import nightly_rollup

    time_machine.move_to("2026-03-03 02:15+01:00")
    nightly_rollup.call_local()
    assert set(DailyCount.objects.values_list("day", flat=True)) == {
        date(2026, 3, 1),
        date(2026, 3, 2),
    }


def test_a_failed_roll_up_leaves_the_previous_rows_and_a_trace(some_events, monkeypatch):
    _march()
    before = DailyCount.objects.count()

    def broken(month):
        raise RuntimeError("disk full")

    monkeypatch.setattr("boite.stats.rollup.rollup_month_uniques", broken)
    with pytest.raises(RuntimeError):
        _march()
    assert DailyCount.objects.count() == before
    failed = RollupRun.objects.filter(ok=False).get()
    assert "disk full" in failed.error


def test_monthly_counts_sum_the_days(some_events, calvados):
    from boite.stats.models import MonthlyCount

    _march()
    cafeyn = MonthlyCount.objects.filter(
        network=calvados, kind="access_granted", resource="cafeyn"
    ).aggregate(n=Sum("count"))["n"]
    assert (
        cafeyn
        == Event.objects.filter(network=calvados, kind="access_granted", resource="cafeyn").count()
        == 5
    )
    assert set(MonthlyCount.objects.values_list("month", flat=True)) == {date(2026, 3, 1)}
