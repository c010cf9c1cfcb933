"""The « Accéder » button of resource and record pages, with the patron's quota left."""

from __future__ import annotations

from django import template

from boite.access.rules import quota_status

register = template.Library()


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
    }
