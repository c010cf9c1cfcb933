from django import template

from boite.finance.access import may_see_finance

register = template.Library()


@register.filter
def sees_finance(user) -> bool:
    """Whether the staff menu shows the finance section to this user."""
    return may_see_finance(user)
