"""Staff pages of the statistics: dashboard, exports, provider reports."""

from __future__ import annotations

from itertools import pairwise

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_safe

from boite.lib import documents
from boite.networks.access import staff_access, staff_required
from boite.networks.models import StaffRole
from boite.stats import report as yearly
from boite.stats import territory as territory_figures
from boite.stats.counter import ReportError, import_report
from boite.stats.figures import Scope, table_for, tables_for, visible_networks
from boite.stats.forms import DashboardForm, ReportUploadForm
from boite.stats.models import CounterReport, ProviderAccount
from boite.stats.tables import FORMATS, export_response

Kind = StaffRole.Kind
_READERS = (Kind.NETWORK_ADMIN, Kind.LIBRARY_STAFF)


def _get_scope_for_user(request: HttpRequest) -> tuple[Scope, DashboardForm]:
    access = staff_access(request.user)
    form = DashboardForm(request.GET or None, networks=visible_networks(access))
    first, last = form.period()
    scope = Scope(access, first, last, network=form.picked_network())
    return scope, form


@require_GET
@staff_required(*_READERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    scope, form = _get_scope_for_user(request)
    return render(
        request,
        "stats/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "tables": tables_for(scope),
            "formats": FORMATS,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@staff_required(*_READERS)
def export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    scope, _form = _get_scope_for_user(request)
    table = table_for(scope, key)
    if table is None or fmt not in FORMATS:
        raise Http404
    return export_response(table, fmt, suffix=scope.label())


def _get_accounts_for_user(request: HttpRequest):
    return staff_access(request.user).scope(
        ProviderAccount.objects.select_related("network"), library=None, network="network"
    )


@staff_required(Kind.NETWORK_ADMIN)
def reports(request: HttpRequest) -> HttpResponse:
    """Provider reports: the list, and the upload form."""
    accounts = _get_accounts_for_user(request)
    form = ReportUploadForm(request.POST or None, request.FILES or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        try:
            result = import_report(
                account,
                form.parsed,
                replace=form.cleaned_data["replace"],
                filename=form.cleaned_data["file"].name,
                user=request.user,
            )
        except ReportError as error:
            form.add_error("file", str(error))
        else:
            report = result.report
            messages.success(
                request,
                _("%(report)s report of %(provider)s for %(begin)s – %(end)s imported.")
                % {
                    "report": report.report_id,
                    "provider": account.name,
                    "begin": f"{report.begin:%Y-%m}",
                    "end": f"{report.end:%Y-%m}",
                },
            )
            if result.replaced:
                messages.info(
                    request,
                    _("Replaced: %(periods)s.") % {"periods": ", ".join(result.replaced)},
                )
            return redirect("stats:reports")
    stored = staff_access(request.user).scope(
        CounterReport.objects.select_related("network"), library=None, network="network"
    )
    return render(
        request,
        "stats/reports.html",
        {"form": form, "reports": stored[:200], "accounts": accounts},
        status=400 if form.errors else 200,
    )


# -- the yearly report -----------------------------------------------------------------


def _report_for(request: HttpRequest, year: int) -> yearly.YearlyReport:
    """The report the person asked for: a network they administer (`?network=<slug>`),
    or, without one, their only network — the consortium for a superuser."""
    if not yearly.FIRST_YEAR <= year <= timezone.localdate().year:
        raise Http404
    access = staff_access(request.user)
    networks = visible_networks(access)
    if not access.is_superuser:
        networks = networks.filter(pk__in=access.admin_network_ids)
    slug = request.GET.get("network", "")
    if slug:
        network = networks.filter(slug=slug).first()
        if network is None:
            raise Http404
    else:
        network = networks.first() if networks.count() == 1 else None
    return yearly.build(access, year, network)


@require_GET
@staff_required(Kind.NETWORK_ADMIN)
def yearly_report(request: HttpRequest, year: int) -> HttpResponse:
    report = _report_for(request, year)
    access = staff_access(request.user)
    choices = visible_networks(access)
    if not access.is_superuser:
        choices = choices.filter(pk__in=access.admin_network_ids)
    this_year = timezone.localdate().year
    return render(
        request,
        "stats/yearly_report.html",
        {
            "report": report,
            "networks": choices.order_by("name") if choices.count() > 1 else [],
            "consortium": access.is_superuser,
            "years": range(this_year, max(yearly.FIRST_YEAR, this_year - 5) - 1, -1),
            "formats": (),
        },
    )


@require_GET
@staff_required(Kind.NETWORK_ADMIN)
def yearly_report_odt(request: HttpRequest, year: int) -> HttpResponse:
    report = _report_for(request, year)
    name = report.network.slug if report.network else "consortium"
    return documents.download(
        yearly.as_odt(report), slugify(f"resultats-{year}-{name}") + ".odt", documents.ODT_TYPE
    )


_TERRITORY_ROLES = (Kind.NETWORK_ADMIN, Kind.FINANCE)


def _get_network_for_territory(request: HttpRequest):
    """The portal's network, when the person administers it or keeps its finances."""
    network = getattr(request, "network", None)
    access = staff_access(request.user)
    if network is None or not any(access.has_role(kind, network) for kind in _TERRITORY_ROLES):
        raise PermissionDenied
    return network


@staff_required(*_TERRITORY_ROLES)
@require_safe
def territory(request: HttpRequest) -> HttpResponse:
    """The network's communes: membership, fee, patrons per 1 000 inhabitants, usage —
    as a sortable table, a map, and a CSV/XLSX download of the same table."""
    network = _get_network_for_territory(request)
    this_year = timezone.localdate().year
    try:
        year = min(max(int(request.GET.get("annee", this_year)), 2000), this_year)
    except ValueError:
        year = this_year
    key = request.GET.get("tri", "name")
    key = key if key in territory_figures.SORTS else "name"
    descending = request.GET.get("ordre") == "desc"
    everything = territory_figures.rows(network, year)
    shown = request.GET.get("communes", "")
    shown = shown if shown in territory_figures.SHOWN else ""
    found = territory_figures.sorted_rows(
        [row for row in everything if territory_figures.SHOWN[shown](row)], key, descending
    )
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return documents.tabular_download(
            [str(label) for _key, label in _TERRITORY_COLUMNS] + [str(_("Libraries"))],
            (
                [
                    row.name,
                    row.population,
                    _("yes") if row.member else _("no"),
                    row.fee,
                    row.patrons,
                    row.per_thousand,
                    row.openings,
                    row.loans,
                    row.fee_per_patron,
                    ", ".join(row.libraries),
                ]
                for row in found
            ),
            fmt=fmt,
            filename=f"territoire-{slugify(network.name)}-{year}",
            sheet=str(_("Territory")),
        )
    shapes, height, bounds = territory_figures.map_of(everything)
    members = [row for row in everything if row.member]
    context = {
        "network": network,
        "year": year,
        "years": range(this_year, this_year - 5, -1),
        "rows": found,
        "shown": shown,
        "others": sorted({row.served_by for row in everything if row.served_by}),
        "columns": _TERRITORY_COLUMNS,
        "sort": key,
        "descending": descending,
        "shapes": shapes,
        "map_height": height,
        "legend": _legend(bounds),
        "summary": {
            "communes": len(everything),
            "members": len(members),
            "population": sum(r.population for r in everything),
            "member_population": sum(r.population for r in members),
            "patrons": sum(r.patrons for r in everything),
        },
    }
    return render(request, "stats/territory.html", context)


_TERRITORY_COLUMNS = [
    ("name", _lazy("Commune")),
    ("population", _lazy("Population")),
    ("member", _lazy("Member")),
    ("fee", _lazy("Fee (€)")),
    ("patrons", _lazy("Registered patrons")),
    ("per_thousand", _lazy("Patrons per 1 000 inhabitants")),
    ("openings", _lazy("Openings")),
    ("loans", _lazy("Loans")),
    ("fee_per_patron", _lazy("Fee per patron (€)")),
]


def _legend(bounds: list[float]) -> list[tuple[int, str]]:
    """(class, label) for each colour of the map: « ≤ 3 », « 3 – 7 », …, « > 12 »."""
    if not bounds:
        return []
    shown = [number_format(bound) for bound in bounds]
    labels = [_("up to %(value)s") % {"value": shown[0]}]
    labels += [f"{low} – {high}" for low, high in pairwise(shown)]
    labels.append(_("over %(value)s") % {"value": shown[-1]})
    return list(enumerate(labels))
