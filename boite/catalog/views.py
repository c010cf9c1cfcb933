"""Category pages and search of the portal."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from boite.catalog.categories import CATEGORY_BY_SLUG


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    info = CATEGORY_BY_SLUG.get(slug)
    if info is None:
        raise Http404
    return render(request, "catalog/category.html", {"category": info})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    return render(request, "catalog/search.html", {"query": query})
