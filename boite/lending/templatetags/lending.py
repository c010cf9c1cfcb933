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
