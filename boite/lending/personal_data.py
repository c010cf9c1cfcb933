"""Lending's part of the patron's data export: every loan, current and past, and every
hold, with the dates and the passphrase hint the patron gave (never the passphrase, which
the portal does not keep)."""

from __future__ import annotations

from boite.lending.models import Hold, Loan
from boite.patrons.personal_data import iso, section


@section("loans")
def loans(patron) -> list[dict]:
    rows = Loan.objects.filter(patron=patron).select_related("record", "licence")
    return [
        {
            "title": loan.record.title if loan.record else loan.licence.title,
            "ean": loan.licence.ean,
            "format": loan.licence.format,
            "state": loan.state,
            "state_in_words": str(loan.get_state_display()),
            "requested_at": iso(loan.created_at),
            "started_at": iso(loan.started_at),
            "ends_at": iso(loan.ends_at),
            "ended_at": iso(loan.ended_at),
            "passphrase_hint": loan.hint,
        }
        for loan in rows.order_by("created_at", "pk")
    ]


@section("holds")
def holds(patron) -> list[dict]:
    rows = Hold.objects.filter(patron=patron).select_related("record")
    return [
        {
            "title": hold.record.title,
            "state": hold.state,
            "state_in_words": str(hold.get_state_display()),
            "placed_at": iso(hold.created_at),
            "ready_at": iso(hold.ready_at),
            "kept_until": iso(hold.expires_at),
            "ended_at": iso(hold.ended_at),
        }
        for hold in rows.order_by("created_at", "pk")
    ]
