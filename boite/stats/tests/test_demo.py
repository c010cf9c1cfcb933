import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from boite.networks.models import Network, User
from boite.stats.models import DailyCount, Event, EventKind, MonthlyCount, MonthlyUnique
from boite.stats.rollup import month_start

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, loaded once for the module (then removed)."""
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


def _table(response, key):
    return next(t for t in response.context["tables"] if t.key == key)


def test_the_demo_year_rolls_up_to_the_raw_counts(demo):
    assert "demo events" in demo
    events = Event.objects.exclude(day__gt=DailyCount.objects.latest("day").day)
    assert events.count() > 1000
    assert DailyCount.objects.aggregate(n=Sum("count"))["n"] == events.count()
    assert MonthlyCount.objects.aggregate(n=Sum("count"))["n"] == events.count()
    for network in Network.objects.all():
        granted = events.filter(network=network, kind="access_granted")
        assert (
            MonthlyCount.objects.filter(network=network, kind="access_granted").aggregate(
                n=Sum("count")
            )["n"]
            == granted.count()
        )
        month = MonthlyUnique.objects.filter(level="network", network=network, kind="").first()
        assert month.patrons == (
            events.filter(network=network, day__year=month.month.year, day__month=month.month.month)
            .values("patron")
            .distinct()
            .count()
        )


def test_the_demo_has_every_kind_for_both_networks(demo):
    for network in Network.objects.all():
        kinds = set(Event.objects.filter(network=network).values_list("kind", flat=True))
        assert kinds >= set(EventKind.values) - {EventKind.SUSPENSION}, network
    # The demo patrons are among the events, under their keyed hash; their own
    # pseudonyms (the patron table's) are not.
    from boite.patrons.models import Patron
    from boite.stats.events import stats_pseudonym

    pseudonyms = set(Patron.objects.values_list("pseudonym", flat=True)[:50])
    recorded = set(Event.objects.values_list("patron", flat=True))
    assert {stats_pseudonym(p) for p in pseudonyms} & recorded
    assert not pseudonyms & recorded


def test_the_dashboard_agrees_with_raw_counts(demo):
    client = Client(HTTP_HOST="localhost")
    today = timezone.localdate()
    last = month_start(month_start(today) - timedelta(days=1))  # the last whole month
    first = last.replace(year=last.year - 1)
    client.force_login(User.objects.get(username="admin.calvados"))
    response = client.get(f"/gestion/statistiques/?start={first:%Y-%m}&end={last:%Y-%m}")
    assert response.status_code == 200
    network = Network.objects.get(slug="boite-numerique")
    period = Event.objects.filter(network=network, day__gte=first, day__lt=month_start(today))
    # Refusals by reason.
    raw = Counter(period.filter(kind="access_refused").values_list("reason", flat=True))
    shown = dict((row[0], row[1]) for row in _table(response, "refusals").rows)
    assert sum(shown.values()) == sum(raw.values())
    assert shown["quota atteint"] == raw["quota"]
    # Loans per library.
    libraries = _table(response, "loans-libraries")
    assert sum(row[1] for row in libraries.rows) == period.filter(kind="loan").count()
    assert sum(row[2] for row in libraries.rows) == period.filter(kind="return").count()
    # Loans per title (the 50 most borrowed are shown: compare the first).
    titles = _table(response, "loans-titles")
    top = titles.rows[0]
    loans = Counter(period.filter(kind="loan").values_list("record", flat=True))
    assert top[2] == max(loans.values())
    # Holds waiting at the end of the last month, from every hold event so far.
    holds = Counter(
        Event.objects.filter(network=network, day__lt=month_start(today))
        .filter(kind__in=["hold", "hold_filled", "hold_cancelled"])
        .values_list("kind", flat=True)
    )
    waiting = holds["hold"] - holds["hold_filled"] - holds["hold_cancelled"]
    assert waiting > 0
    assert _table(response, "holds").rows[-1][3] == waiting
    # Cost per use of the year, from the demo contracts.
    cost = _table(response, "cost-per-use")
    assert any(row[5] is not None for row in cost.rows)
