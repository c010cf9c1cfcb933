from django import template

from boite.pro.models import NewsItem

register = template.Library()

HOME_NEWS = 3


@register.simple_tag(takes_context=True)
def latest_news(context, count: int = HOME_NEWS):
    """The latest published news of the portal's network (for the home page block)."""
    request = context.get("request")
    network = getattr(request, "network", None)
    if network is None:
        return []
    return list(NewsItem.objects.published(network)[:count])
