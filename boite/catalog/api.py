"""JSON API of the catalogue: search with facets, and one record."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Schema

from boite.catalog.models import Record, Resource
from boite.catalog.search import SearchQuery, search
from boite.lib.api import ApiError

router = Router(tags=["catalogue"])


class ContributorOut(Schema):
    name: str
    role: str = ""


class RecordOut(Schema):
    id: int
    title: str
    subtitle: str
    contributors: list[ContributorOut]
    description: str
    cover_url: str
    kind: str
    audience: str
    languages: list[str]
    year: int | None
    duration_minutes: int | None
    subjects: list[str]
    isbn: str
    resource: str
    category: str
    url: str
    access_url: str


class HitOut(Schema):
    id: int
    title: str
    kind: str
    year: int | None
    resource: str
    url: str
    snippet: str = ""


class FacetValue(Schema):
    value: str
    count: int


class SearchOut(Schema):
    count: int
    page: int
    results: list[HitOut]
    facets: dict[str, list[FacetValue]]
    year_range: list[int] | None = None
    suggestions: list[str] = []


class SearchIn(Schema):
    q: str = ""
    category: list[str] = []
    kind: list[str] = []
    resource: list[int] = []
    audience: list[str] = []
    language: list[str] = []
    year_min: int | None = None
    year_max: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


_ID_MARK = 987654321


def _open_resources(request: HttpRequest) -> dict[int, str]:
    """Id → short name of the resources open to the portal's network."""
    network = getattr(request, "network", None)
    return dict(Resource.objects.open_to(network).values_list("pk", "slug"))


def _record_out(request: HttpRequest, record: Record) -> dict:
    return {
        "id": record.pk,
        "title": record.title,
        "subtitle": record.subtitle,
        "contributors": record.contributors,
        "description": record.description,
        "cover_url": record.cover_url,
        "kind": record.kind,
        "audience": record.audience,
        "languages": record.languages,
        "year": record.year,
        "duration_minutes": record.duration_minutes,
        "subjects": record.subjects,
        "isbn": record.isbn,
        "resource": record.resource.slug,
        "category": record.resource.category,
        "url": request.build_absolute_uri(record.get_absolute_url()),
        "access_url": request.build_absolute_uri(record.get_access_url()),
    }


@router.get("/search", response=SearchOut, summary="Search the catalogue of the portal")
def search_records(request: HttpRequest, filters: Query[SearchIn]):
    sort = filters.sort if filters.sort in ("relevance", "newest", "title") else "relevance"
    slugs = _open_resources(request)
    query = SearchQuery(
        text=filters.q[:200],
        resource_ids=list(slugs),
        category=filters.category,
        kind=filters.kind,
        resource=filters.resource,
        audience=filters.audience,
        language=filters.language,
        year_min=filters.year_min,
        year_max=filters.year_max,
        sort=sort,
        page=max(1, min(filters.page, 500)),
        per_page=max(1, min(filters.per_page, 100)),
    )
    results = search(query)
    # Hits are listed from the index's stored fields: no database read per hit. The
    # index holds active records only, and the query is limited to the open resources.
    url = reverse("catalog:record", args=[_ID_MARK]).replace(str(_ID_MARK), "{}")
    hits = [
        {
            "id": h.record_id,
            "title": h.title,
            "kind": h.kind,
            "year": h.year,
            "resource": slugs.get(h.resource_id, ""),
            "url": url.format(h.record_id),
            "snippet": h.snippet_html,
        }
        for h in results.hits
        if h.resource_id in slugs
    ]
    return {
        "count": results.count,
        "page": query.page,
        "results": hits,
        "facets": {
            name: [{"value": v, "count": c} for v, c in values]
            for name, values in results.facets.items()
        },
        "year_range": list(results.year_range) if results.year_range else None,
        "suggestions": results.suggestions,
    }


@router.get(
    "/records/{record_id}",
    response={200: RecordOut, 404: ApiError},
    summary="One record of the catalogue",
)
def get_record(request: HttpRequest, record_id: int):
    network = getattr(request, "network", None)
    if network is None:
        raise Http404
    record = get_object_or_404(
        Record.objects.visible_to(network).select_related("resource"), pk=record_id
    )
    return _record_out(request, record)
