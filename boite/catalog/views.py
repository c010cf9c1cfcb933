"""Portal pages of the catalogue (categories, resources, records, search) and the
staff pages that launch harvests and follow them."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from boite.catalog.categories import CATEGORIES, CATEGORY_BY_SLUG, Category
from boite.catalog.forms import LANGUAGES, HarvestForm, SearchForm
from boite.catalog.harvest.runner import live_progress, start_run
from boite.catalog.models import Audience, HarvestRun, Record, RecordType, Resource
from boite.catalog.search import get_backend
from boite.catalog.search import search as run_search
from boite.lib.pagecache import anonymous_page_cache
from boite.lib.uploads import private_file_response
from boite.networks.access import staff_access, staff_required

PER_PAGE = 20


def _open_resources(request: HttpRequest):
    return Resource.objects.open_to(request.network).select_related("provider")


def _get_record_for_network(request: HttpRequest, pk: int) -> Record:
    return get_object_or_404(
        Record.objects.visible_to(request.network).select_related("resource__provider"), pk=pk
    )


def _records_in_order(request: HttpRequest, ids: list[int]) -> list[Record]:
    # A list shows neither the source payload (up to 50 kB a record) nor the identifiers.
    records = Record.objects.visible_to(request.network).select_related("resource")
    found = records.defer("source_payload", "identifiers").in_bulk(ids)
    return [found[i] for i in ids if i in found]


@require_GET
@anonymous_page_cache
def category(request: HttpRequest, slug: str) -> HttpResponse:
    info = CATEGORY_BY_SLUG.get(slug)
    if info is None:
        raise Http404
    resources = _open_resources(request).filter(category=slug)
    return render(request, "catalog/category.html", {"category": info, "resources": resources})


@require_GET
@anonymous_page_cache
def resource(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(_open_resources(request), slug=slug)
    latest = item.records.filter(withdrawn=False).order_by("-year", "title")[:12]
    return render(
        request,
        "catalog/resource.html",
        {"resource": item, "category": CATEGORY_BY_SLUG[item.category], "latest": latest},
    )


@require_GET
@anonymous_page_cache
def record(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get_record_for_network(request, pk)
    allowed = list(_open_resources(request).values_list("pk", flat=True))
    similar = _records_in_order(request, get_backend().similar(item.pk, allowed))
    return render(
        request,
        "catalog/record.html",
        {"record": item, "resource": item.resource, "similar": similar},
    )


def _facet_labels(resources) -> dict[str, dict[str, str]]:
    return {
        "category": {c.value: c.label for c in Category},
        "kind": {k.value: k.label for k in RecordType},
        "resource": {str(r.pk): r.name for r in resources},
        "audience": {a.value: a.label for a in Audience},
        "language": {k: str(v) for k, v in LANGUAGES.items()},
    }


@require_GET
@anonymous_page_cache
def search(request: HttpRequest) -> HttpResponse:
    resources = list(_open_resources(request))
    form = SearchForm(request.GET or None, resources=resources)
    context = {"form": form, "categories": CATEGORIES}
    if form.is_bound and form.is_valid():
        query = form.to_query([r.pk for r in resources], PER_PAGE)
        results = run_search(query)
        records = {r.pk: r for r in _records_in_order(request, [h.record_id for h in results.hits])}
        labels = _facet_labels(resources)
        chosen = {name: [str(v) for v in getattr(query, name)] for name in labels}
        facets = [
            {
                "name": name,
                "field": form[name],
                "values": [
                    {
                        "value": value,
                        "label": labels[name].get(value, value),
                        "count": count,
                        "checked": value in chosen[name],
                    }
                    for value, count in results.facets.get(name, [])
                ],
            }
            for name in labels
        ]
        pages = max(1, -(-results.count // PER_PAGE))
        params = request.GET.copy()
        params.pop("page", None)
        context.update(
            query=query.text,
            search_query=query,
            results=results,
            hits=[(h, records[h.record_id]) for h in results.hits if h.record_id in records],
            facets=[f for f in facets if f["values"]],
            page=query.page,
            pages=pages,
            base_query=params.urlencode(),
        )
    return render(request, "catalog/search.html", context)


@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    text = request.GET.get("q", "").strip()[:100]
    allowed = list(_open_resources(request).values_list("pk", flat=True))
    titles = get_backend().suggest(text, allowed) if len(text) >= 2 else []
    return JsonResponse({"suggestions": titles})


# -- staff: harvests ------------------------------------------------------------------


def _get_resource_for_manager(request: HttpRequest, slug: str) -> Resource:
    # A harvest rewrites the records every network shows: the owner network's call.
    managed = Resource.objects.owned_by(staff_access(request.user))
    return get_object_or_404(managed, slug=slug)


def _get_run_for_staff(request: HttpRequest, pk: int) -> HarvestRun:
    visible = Resource.objects.for_staff(staff_access(request.user)).values("pk")
    return get_object_or_404(
        HarvestRun.objects.filter(resource__in=visible).select_related("resource"), pk=pk
    )


@staff_required("network_admin", "library_staff")
@require_GET
def harvests(request: HttpRequest) -> HttpResponse:
    access = staff_access(request.user)
    resources = Resource.objects.for_staff(access).select_related("provider")
    managed = set(Resource.objects.owned_by(access).values_list("pk", flat=True))
    runs = HarvestRun.objects.filter(resource__in=resources.values("pk")).select_related(
        "resource"
    )[:30]
    return render(
        request,
        "catalog/staff/harvests.html",
        {"resources": resources, "managed": managed, "runs": runs},
    )


@staff_required("network_admin")
@require_http_methods(["GET", "POST"])
def harvest_start(request: HttpRequest, slug: str) -> HttpResponse:
    item = _get_resource_for_manager(request, slug)
    form = HarvestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not item.has_harvest_source or not item.harvest_format:
            form.add_error(None, _("Set the source and the format of the resource first."))
        else:
            from boite.catalog.tasks import run_harvest

            run = start_run(
                item,
                mode=form.cleaned_data["mode"],
                force=form.cleaned_data["force"],
                user=request.user,
            )
            run_harvest(run.pk)
            return redirect(run)
    return render(request, "catalog/staff/harvest_start.html", {"resource": item, "form": form})


@staff_required("network_admin", "library_staff")
@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    run = live_progress(_get_run_for_staff(request, pk))
    rejections = run.rejections.all()[:200]
    return render(request, "catalog/staff/run.html", {"run": run, "rejections": rejections})


@staff_required("network_admin")
@require_GET
def resource_source(request: HttpRequest, slug: str) -> HttpResponse:
    """The file uploaded as the resource's source, for the administrators who manage it."""
    item = _get_resource_for_manager(request, slug)
    if not item.harvest_file:
        raise Http404
    return private_file_response(item.harvest_file, item.harvest_file.name.split("/")[-1])


@staff_required("network_admin", "library_staff")
@require_GET
def run_source(request: HttpRequest, pk: int) -> HttpResponse:
    """The uploaded file a run read, for the staff who may see the run."""
    run = _get_run_for_staff(request, pk)
    if not run.source_file:
        raise Http404
    return private_file_response(run.source_file, run.source_file_name)


@staff_required("network_admin", "library_staff")
@require_GET
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    run = live_progress(_get_run_for_staff(request, pk))
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "finished": run.is_finished,
            "percent": run.percent,
            "read": run.read,
            "total": run.total,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "withdrawn": run.withdrawn,
            "rejected": run.rejected,
            "error": run.error,
        }
    )
