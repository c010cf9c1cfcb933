import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from boite.networks.models import Network
from boite.stats.models import DailyCount, Event, MonthlyCount, MonthlyUnique

pytestmark = pytest.mark.django_db


def test_the_demo_year_rolls_up_to_the_raw_counts():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "demo events" in out.getvalue()
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
