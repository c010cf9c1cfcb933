"""What `load_demo` prints for people: French figures (29 019 €, not 29019.0000000000 €),
the demo accounts it lists are real accounts, and a second load says it has nothing to do."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from boite.finance import demo as finance_demo
from boite.networks import demo as networks_demo
from boite.networks.demo import DEMO_PASSWORD, euros, figure
from boite.networks.models import User
from boite.patrons import demo as patrons_demo

NBSP = "\xa0"


def test_figures_and_euros_are_written_the_french_way():
    assert figure(30059) == f"30{NBSP}059"
    assert figure(528) == "528"
    assert euros(Decimal("29019.0000000000")) == f"29{NBSP}019{NBSP}€"
    assert euros(Decimal("31327.0500000000")) == f"31{NBSP}327,05{NBSP}€"
    assert euros(Decimal("0.005")) == f"0,01{NBSP}€"  # half up, as the fees are rounded
    assert euros(Decimal("144000.00")) == f"144{NBSP}000{NBSP}€"


@pytest.mark.django_db
def test_the_finance_demo_prints_its_campaigns_in_euros():
    out = io.StringIO()
    networks_demo.load(out)
    finance_demo.load(out)
    printed = out.getvalue()
    assert f"campaign 2026 of La Boîte numérique: 40 calls for 29{NBSP}019{NBSP}€" in printed
    assert f"15 calls for 31{NBSP}327,05{NBSP}€" in printed
    assert f"9 contracts 2026 for 144{NBSP}000{NBSP}€" in printed
    assert "0000000000" not in printed


@pytest.mark.django_db
def test_the_listed_demo_accounts_log_in_with_the_demo_password():
    out = io.StringIO()
    networks_demo.load(out)
    patrons_demo.load(out)
    listed = networks_demo.ACCOUNTS + patrons_demo.ACCOUNTS
    assert len(listed) == 9
    for login, _what in listed:
        user = User.objects.get(email=login) if "@" in login else User.objects.get(username=login)
        assert user.check_password(DEMO_PASSWORD), login
    assert User.objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_a_second_load_if_empty_says_there_is_nothing_to_do():
    networks_demo.load(io.StringIO())
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert out.getvalue() == "== Demo already loaded (a network exists): nothing to do\n"
