from django import template

from boite.lending.access import may_view_licences

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_licences_here(context) -> bool:
    """For the staff menu: may the person open the licences of this portal's network?"""
    request = context.get("request")
    if request is None:
        return False
    return may_view_licences(request.user, getattr(request, "network", None))


@register.inclusion_tag("lending/_record_box.html", takes_context=True)
def lending_box(context, record) -> dict:
    """« Emprunter » / « Réserver » on a record page, for titles the network lends."""
    from boite.lending.patron_views import availability
    from boite.patrons.models import Patron

    request = context.get("request")
    network = getattr(request, "network", None)
    if request is None or network is None:
        return {"box": None}
    patron = Patron.of(request.user, network)
    return {"box": availability(record, network, patron), "request": request}
