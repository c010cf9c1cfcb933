"""The « Accéder » button of resource and record pages, with the patron's quota left —
or, in its place, what a patron must do first when the resource asks for a validated
library card that they do not have yet (a patron in trial)."""

from __future__ import annotations

from django import template

from boite.access.rules import card_refusal, quota_status

register = template.Library()


def _card_note(request, resource) -> str:
    from boite.access.models import Connector
    from boite.patrons.models import Patron

    if request is None:
        return ""
    patron = Patron.of(request.user, request.network)
    if patron is None or patron.card_number:
        return ""
    connector = Connector.objects.filter(network=request.network, resource=resource).first()
    return card_refusal(patron, connector) or ""


@register.inclusion_tag("access/_access_button.html", takes_context=True)
def access_button(context, resource, record=None) -> dict:
    from boite.patrons.models import Patron

    request = context.get("request")
    status = None
    if request is not None:
        patron = Patron.of(request.user, request.network)
        if patron is not None:
            status = quota_status(patron, resource, request.network)
    return {
        "url": resource.get_access_url(record),
        "label": record.title if record is not None else resource.name,
        "quota": status,
        "card_note": _card_note(request, resource),
    }


@register.simple_tag(takes_context=True)
def card_note(context, resource) -> str:
    """`{% card_note resource as note %}`: the sentence shown instead of « Accéder »."""
    return _card_note(context.get("request"), resource)
