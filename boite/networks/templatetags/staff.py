from django import template

from boite.networks import desk

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_menu(context) -> list[desk.MenuEntry]:
    """The staff pages this person may open, for the staff layout's menu."""
    request = context.get("request")
    return desk.menu(request) if request is not None else []
