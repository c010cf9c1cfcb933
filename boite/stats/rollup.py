"""Daily and monthly roll-ups of the events.

A day's DailyCount rows are replaced in one transaction, so the roll-up can run again
on the same day without counting anything twice; then each month the run touched gets
its MonthlyCount rows summed again from its days, and its unique patrons counted again
from its events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from boite.stats.models import (
    DailyCount,
    Event,
    EventKind,
    MonthlyCount,
    MonthlyTitleCount,
    MonthlyUnique,
    RollupRun,
    YearlyUnique,
)

log = logging.getLogger(__name__)

_DIMENSIONS = ("network_id", "library_id", "commune_id", "resource", "age_band", "kind", "reason")
_UNIQUE_LEVELS = {
    MonthlyUnique.Level.NETWORK: ("network_id",),
    MonthlyUnique.Level.LIBRARY: ("network_id", "library_id"),
    MonthlyUnique.Level.RESOURCE: ("network_id", "resource"),
    MonthlyUnique.Level.LIBRARY_RESOURCE: ("network_id", "library_id", "resource"),
}
# Levels also counted over every kind of event together (« active patrons »).
_ANY_KIND_LEVELS = (MonthlyUnique.Level.NETWORK, MonthlyUnique.Level.LIBRARY)
_HAS_PATRON = Q(patron__gt="")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _insert_select(model, columns: list[str], constants: list, queryset) -> None:
    """INSERT INTO model (columns) SELECT constants, queryset's columns: the grouped
    rows go from the events to the roll-up table without passing through Python."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    placeholders = ", ".join(["%s"] * len(constants))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {placeholders}, g.* FROM ({sql}) g",  # noqa: S608
            [*constants, *params],
        )


def rollup_day(day: date) -> int:
    """Replace the DailyCount rows of one day; returns the number of events read."""
    groups = (
        Event.objects.filter(day=day)
        .values(*_DIMENSIONS)
        .order_by()
        .annotate(n=Count("id"), p=Count("patron", distinct=True, filter=_HAS_PATRON))
    )
    columns = ["day", *_DIMENSIONS, "count", "patrons"]
    with transaction.atomic():
        DailyCount.objects.filter(day=day).delete()
        _insert_select(DailyCount, columns, [day], groups)
        return DailyCount.objects.filter(day=day).aggregate(n=Sum("count"))["n"] or 0


def rollup_month_counts(month: date) -> int:
    """Replace the MonthlyCount rows of the month from its daily counts."""
    first, after = month_start(month), next_month(month)
    dims = ["network_id", "library_id", "resource", "kind", "reason"]
    groups = (
        DailyCount.objects.filter(day__gte=first, day__lt=after)
        .values(*dims)
        .order_by()
        .annotate(n=Sum("count"))
    )
    with transaction.atomic():
        MonthlyCount.objects.filter(month=first).delete()
        _insert_select(MonthlyCount, ["month", *dims, "count"], [first], groups)
        return MonthlyCount.objects.filter(month=first).count()


def rollup_month_uniques(month: date) -> int:
    """Replace the MonthlyUnique rows of the month that contains `month`."""
    first, after = month_start(month), next_month(month)
    events = Event.objects.filter(day__gte=first, day__lt=after).filter(_HAS_PATRON).order_by()
    with transaction.atomic():
        MonthlyUnique.objects.filter(month=first).delete()
        for level, dims in _UNIQUE_LEVELS.items():
            for by_kind in (True, False) if level in _ANY_KIND_LEVELS else (True,):
                grouped = [*dims, "kind"] if by_kind else list(dims)
                constants = [first, level]
                columns = ["month", "level"]
                # Columns the level does not keep get their « all » value.
                for name, empty in (("library_id", None), ("resource", ""), ("kind", "")):
                    if name not in grouped:
                        columns.append(name)
                        constants.append(empty)
                columns += [*grouped, "patrons"]
                _insert_select(
                    MonthlyUnique,
                    columns,
                    constants,
                    events.values(*grouped).annotate(p=Count("patron", distinct=True)),
                )
        return MonthlyUnique.objects.filter(month=first).count()


def rollup_month_titles(month: date) -> int:
    """Replace the MonthlyTitleCount rows of the month from its loan and hold events."""
    first, after = month_start(month), next_month(month)
    dims = ["network_id", "library_id", "resource", "record", "kind"]
    groups = (
        Event.objects.filter(day__gte=first, day__lt=after, kind__in=MonthlyTitleCount.KINDS)
        .values(*dims)
        .order_by()
        .annotate(n=Count("id"))
    )
    with transaction.atomic():
        MonthlyTitleCount.objects.filter(month=first).delete()
        _insert_select(MonthlyTitleCount, ["month", *dims, "count"], [first], groups)
        return MonthlyTitleCount.objects.filter(month=first).count()


_USE = Q(kind__in=[EventKind.ACCESS_GRANTED, EventKind.LOAN])


def rollup_year_uniques(year: int) -> int:
    """Replace the YearlyUnique rows of the year from its events: per network (any
    event, and use) and per resource of a network (use, access, loan)."""
    events = (
        Event.objects.filter(day__gte=date(year, 1, 1), day__lt=date(year + 1, 1, 1))
        .filter(_HAS_PATRON)
        .order_by()
    )
    distinct = Count("patron", distinct=True)
    groups = [
        (["year", "resource", "kind"], [year, "", ""], events.values("network_id")),
        (
            ["year", "resource", "kind"],
            [year, "", YearlyUnique.USE],
            events.filter(_USE).values("network_id"),
        ),
        (
            ["year", "kind"],
            [year, YearlyUnique.USE],
            events.filter(_USE).values("network_id", "resource"),
        ),
        (["year"], [year], events.filter(_USE).values("network_id", "resource", "kind")),
    ]
    with transaction.atomic():
        YearlyUnique.objects.filter(year=year).delete()
        for columns, constants, grouped in groups:
            names = list(grouped.query.values_select)
            _insert_select(
                YearlyUnique, [*columns, *names, "patrons"], constants, grouped.annotate(p=distinct)
            )
        return YearlyUnique.objects.filter(year=year).count()


def days_between(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def rollup(first: date, last: date, progress: Callable[[date], None] | None = None) -> RollupRun:
    """Roll up every day from `first` to `last` included, then their months' uniques.

    Each day is its own transaction: if the run fails half-way, the days already done
    are correct and the others keep their previous rows; the RollupRun says what failed.
    """
    run = RollupRun.objects.create(first_day=first, last_day=last)
    try:
        months = []
        for day in days_between(first, last):
            run.events += rollup_day(day)
            if month_start(day) not in months:
                months.append(month_start(day))
            if progress:
                progress(day)
        for month in months:
            rollup_month_counts(month)
            rollup_month_uniques(month)
            rollup_month_titles(month)
        for year in sorted({month.year for month in months}):
            rollup_year_uniques(year)
    except Exception as error:
        run.error = f"{type(error).__name__}: {error}"
        run.save()
        log.exception("statistics roll-up %s – %s failed", first, last)
        raise
    run.ok = True
    run.save()
    return run


def first_event_day() -> date | None:
    return Event.objects.order_by("day").values_list("day", flat=True).first()
