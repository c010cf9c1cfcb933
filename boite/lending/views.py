"""Staff pages of the PNB licences (/gestion/prets/) and the public reading-apps help."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from boite.lending import sync, tasks
from boite.lending.access import (
    VIEW_ROLES,
    may_manage_licences,
    may_view_licences,
    network_for_licences,
)
from boite.lending.distributors.base import DistributorError, DistributorNonsense
from boite.lending.forms import LicenceFilterForm
from boite.lending.models import EXPIRING_SOON_DAYS, DistributorAccount, Licence, SyncRun
from boite.lib import documents
from boite.networks.access import staff_required
from boite.networks.models import StaffRole

_PER_PAGE = 50


def _licences_of(network):
    return (
        Licence.objects.for_network(network)
        .select_related("account")
        .order_by("valid_until", "title", "pk")
    )


@require_GET
@staff_required(*VIEW_ROLES)
def licence_list(request: HttpRequest) -> HttpResponse:
    network = network_for_licences(request.user, request.network)
    licences = _licences_of(network)
    form = LicenceFilterForm(request.GET or None)
    page = Paginator(form.filter(licences), _PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    summary = licences.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(state=Licence.State.ACTIVE)),
        loans_left=Sum("loans_left", filter=Q(state=Licence.State.ACTIVE)),
        in_use=Sum("concurrent_in_use"),
        expiring=Count(
            "pk",
            filter=Q(
                state=Licence.State.ACTIVE,
                valid_until__gt=now,
                valid_until__lte=now + timezone.timedelta(days=EXPIRING_SOON_DAYS),
            ),
        ),
    )
    last_run = SyncRun.objects.filter(account__networks=network).order_by("-started_at").first()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lending/staff/licences.html",
        {
            "form": form,
            "page": page,
            "summary": summary,
            "last_run": last_run,
            "now": now,
            "query": query.urlencode(),
            "may_manage": may_manage_licences(request.user, network),
        },
    )


# The staff menu shows the licences of the portal's network to those who may see them.
licence_list.may_open = lambda request: may_view_licences(
    request.user, getattr(request, "network", None)
)


@require_GET
@staff_required(*VIEW_ROLES)
def licence_export(request: HttpRequest) -> StreamingHttpResponse:
    network = network_for_licences(request.user, request.network)
    licences = LicenceFilterForm(request.GET or None).filter(_licences_of(network))
    header = [
        _("EAN"),
        _("Title"),
        _("Format"),
        _("Distributor"),
        _("Distributor's licence id"),
        _("Loans left"),
        _("Loans bought"),
        _("Simultaneous loans in use"),
        _("Simultaneous loans allowed"),
        _("Maximum loan length (days)"),
        _("Valid from"),
        _("Valid until"),
        _("State"),
        _("Last sync"),
    ]
    rows = (
        [
            licence.ean,
            licence.title,
            licence.get_format_display(),
            licence.account.name,
            licence.distributor_key,
            "" if licence.loans_left is None else licence.loans_left,
            "" if licence.loans_total is None else licence.loans_total,
            licence.concurrent_in_use,
            licence.concurrent_max,
            licence.loan_max_days,
            _date(licence.valid_from),
            _date(licence.valid_until),
            licence.get_state_display(),
            _date(licence.synced_at, with_time=True),
        ]
        for licence in licences.iterator(chunk_size=2000)
    )
    # One writer for every export (boite.lib.documents): titles from a distributor's
    # feed are text, never a formula the spreadsheet would run.
    response = StreamingHttpResponse(
        documents.csv_stream(header, rows), content_type=documents.CSV_TYPE
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="licences-pnb-{stamp}.csv"'
    return response


def _date(value, with_time: bool = False) -> str:
    if value is None:
        return ""
    value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


@require_GET
@staff_required(*VIEW_ROLES)
def sync_runs(request: HttpRequest) -> HttpResponse:
    network = network_for_licences(request.user, request.network)
    runs = (
        SyncRun.objects.filter(account__networks=network)
        .select_related("account")
        .order_by("-started_at")
    )
    page = Paginator(runs, _PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "lending/staff/sync_runs.html",
        {
            "page": page,
            "accounts": network.distributor_accounts.filter(is_active=True),
            "may_manage": may_manage_licences(request.user, network),
        },
    )


@require_POST
@staff_required(StaffRole.Kind.NETWORK_ADMIN)
def sync_now(request: HttpRequest, account_id: int) -> HttpResponse:
    network = network_for_licences(request.user, request.network, manage=True)
    account = get_object_or_404(network.distributor_accounts.filter(is_active=True), pk=account_id)
    tasks.sync_account_now(account.pk)
    messages.success(
        request,
        _("The sync of « %(account)s » has started; its result appears below.")
        % {"account": account.name},
    )
    return redirect("lending:sync_runs")


_MAX_NOTIFICATION_BYTES = 64 * 1024


@csrf_exempt  # posted by the distributor's server; the secret token in the URL stands for it
@require_POST
def notification(request: HttpRequest, account_id: int, token: str) -> HttpResponse:
    """ODL: the distributor posts a loan's new License Status Document."""
    account = get_object_or_404(DistributorAccount, pk=account_id)
    if not constant_time_compare(token, account.notification_token):
        raise Http404
    body = request.body[: _MAX_NOTIFICATION_BYTES + 1]
    try:
        if len(body) > _MAX_NOTIFICATION_BYTES:
            raise DistributorNonsense("notification too large")
        with account.connect() as distributor:
            answer = distributor.parse_notification(body)
    except DistributorError as error:
        run = SyncRun.objects.create(account=account, kind=SyncRun.Kind.NOTIFICATION)
        run.problem(_("notification"), f"{error.message} ({error.detail})")
        run.finish(failed=True)
        return JsonResponse({"error": error.detail}, status=400)
    if not sync.handle_notification(account, answer):
        return JsonResponse({"error": "unknown loan"}, status=404)
    return HttpResponse(status=204)


@require_GET
def reading_apps(request: HttpRequest) -> HttpResponse:
    """Public help: opening an LCP-protected e-book or audiobook."""
    return render(request, "lending/reading_apps.html")
