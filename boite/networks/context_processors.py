from django.http import HttpRequest

from boite.catalog.categories import CATEGORIES


def network(request: HttpRequest) -> dict:
    """The current network and the portal's category navigation, for every template."""
    return {"network": getattr(request, "network", None), "categories": CATEGORIES}
