"""The patron's side of lending: borrow from a record, « Mes prêts », holds, OPDS feeds."""

from __future__ import annotations

import base64
import binascii
import uuid

from django.contrib import messages
from django.contrib.auth import authenticate
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from boite.catalog.models import Record
from boite.lending import loans as lending
from boite.lending.forms import BorrowForm, ExtendForm
from boite.lending.models import Hold, Licence, Loan
from boite.patrons import throttle
from boite.patrons.models import Patron
from boite.patrons.views import patron_required


def _get_record_for_network(request: HttpRequest, record_id: int) -> Record:
    """A record of this portal that has licences of its network, else 404."""
    record = get_object_or_404(
        Record.objects.visible_to(request.network).select_related("resource"), pk=record_id
    )
    if not lending.is_lendable(record, request.network):
        raise Http404
    return record


@never_cache
@patron_required
@require_http_methods(["GET", "POST"])
def borrow(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _get_record_for_network(request, record_id)
    licences = list(lending.licences_of(record, request.network).lendable())
    max_days = max((lic.loan_max_days for lic in licences), default=21)
    form = BorrowForm(request.POST or None, max_days=max_days)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            loan = lending.borrow(
                request.patron,
                record,
                request.network,
                lending.BorrowRequest(data["days"], data["passphrase"], data["hint"]),
                portal_url=f"{request.scheme}://{request.get_host()}",
            )
        except lending.NoCopyLeft as refusal:
            return render(
                request,
                "lending/borrow.html",
                {"record": record, "form": form, "free": 0, "no_copy": refusal.message},
                status=409,
            )
        except lending.LendingRefusal as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("« %(title)s » is yours until %(date)s. Download it below.")
                % {
                    "title": record.title,
                    "date": timezone.localtime(loan.ends_at).strftime("%d/%m/%Y"),
                },
            )
            return redirect("lending:my_loans")
    free = lending.lendable_copies(record, request.network, request.patron)
    return render(request, "lending/borrow.html", {"record": record, "form": form, "free": free})


@patron_required
@require_POST
def place_hold(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _get_record_for_network(request, record_id)
    try:
        hold = lending.place_hold(request.patron, record, request.network)
    except lending.LendingRefusal as refusal:
        messages.error(request, refusal.message)
        return redirect(record.get_absolute_url())
    if hold.state == Hold.State.READY:
        messages.success(request, _("A copy is kept for you: borrow it now."))
    else:
        messages.success(
            request,
            _("You are number %(position)s in the queue. We will e-mail you when it is your turn.")
            % {"position": hold.position()},
        )
    return redirect("lending:my_loans")


@never_cache
@patron_required
@require_GET
def my_loans(request: HttpRequest) -> HttpResponse:
    patron = request.patron
    loans = (
        Loan.objects.filter(patron=patron, network=request.network)
        .select_related("record", "licence")
        .order_by("-created_at")
    )
    holds = (
        Hold.objects.filter(patron=patron, network=request.network, state__in=Hold.OPEN_STATES)
        .select_related("record")
        .order_by("created_at")
    )
    return render(
        request,
        "lending/my_loans.html",
        {
            "current": [loan for loan in loans if loan.is_open],
            "past": [loan for loan in loans if not loan.is_open][:20],
            "holds": [(hold, hold.position()) for hold in holds],
            "extend_form": ExtendForm(),
        },
    )


def _own_loan(request: HttpRequest) -> Loan:
    """The loan named in the form, if it is this patron's; else 404."""
    try:
        key = uuid.UUID(str(request.POST.get("loan", "")))
    except ValueError:
        raise Http404 from None
    # With what the return's event names (patron's library, network, resource): one query.
    loans = Loan.objects.select_related(
        "licence__account", "record__resource", "patron__home_library", "network"
    )
    return get_object_or_404(loans, uuid=key, patron=request.patron)


@patron_required
@require_POST
def return_loan(request: HttpRequest) -> HttpResponse:
    loan = _own_loan(request)
    try:
        lending.return_loan(loan)
    except lending.LendingRefusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("« %(title)s » is returned. Thank you!") % {"title": _title(loan)}
        )
    return redirect("lending:my_loans")


@patron_required
@require_POST
def extend_loan(request: HttpRequest) -> HttpResponse:
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a number of days between 1 and 90."))
        return redirect("lending:my_loans")
    loan = _own_loan(request)
    try:
        lending.extend_loan(loan, form.cleaned_data["days"])
    except lending.LendingRefusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Your loan now ends on %(date)s.")
            % {"date": timezone.localtime(loan.ends_at).strftime("%d/%m/%Y")},
        )
    return redirect("lending:my_loans")


@patron_required
@require_POST
def cancel_hold(request: HttpRequest) -> HttpResponse:
    hold = get_object_or_404(
        Hold, pk=_int(request.POST.get("hold")), patron=request.patron, state__in=Hold.OPEN_STATES
    )
    try:
        lending.cancel_hold(hold)
    except lending.LendingRefusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Your hold is cancelled."))
    return redirect("lending:my_loans")


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _title(loan: Loan) -> str:
    return loan.record.title if loan.record else loan.licence.title


# -- OPDS 2.0 ---------------------------------------------------------------------------------

OPDS = "application/opds+json"
_FEED_PAGE = 100


def _publication(request: HttpRequest, record: Record, links: list[dict]) -> dict:
    metadata = {
        "@type": "http://schema.org/Book",
        "title": record.title,
        "identifier": f"urn:isbn:{record.isbn}" if record.isbn else record.get_absolute_url(),
        "language": record.languages[:1] or ["fr"],
    }
    if record.contributors:
        metadata["author"] = [c["name"] for c in record.contributors if c.get("name")]
    if record.description:
        metadata["description"] = record.description[:2000]
    publication = {
        "metadata": metadata,
        "links": [
            {
                "rel": "alternate",
                "href": request.build_absolute_uri(record.get_absolute_url()),
                "type": "text/html",
            },
            *links,
        ],
    }
    if record.cover_url:
        publication["images"] = [{"href": record.cover_url, "type": "image/jpeg"}]
    return publication


@require_GET
def opds_collection(request: HttpRequest) -> JsonResponse:
    """The network's lendable titles, 100 a page, each with its borrow link."""
    page = max(1, _int(request.GET.get("page", "1")))
    records = (
        Record.objects.visible_to(request.network)
        .filter(licences__networks=request.network)
        .exclude(licences__state=Licence.State.WITHDRAWN)
        .annotate(n=Count("licences"))
        .filter(n__gt=0)
        .select_related("resource")
        .order_by("title", "pk")
        .distinct()
    )
    chunk = list(records[(page - 1) * _FEED_PAGE : page * _FEED_PAGE + 1])
    pools = Licence.objects.copy_pools([record.pk for record in chunk[:_FEED_PAGE]])
    self_url = request.build_absolute_uri(reverse("lending:opds_collection"))
    links = [
        {"rel": "self", "href": f"{self_url}?page={page}", "type": OPDS},
        {
            "rel": "http://opds-spec.org/shelf",
            "href": request.build_absolute_uri(reverse("lending:opds_loans")),
            "type": OPDS,
        },
    ]
    if len(chunk) > _FEED_PAGE:
        links.append({"rel": "next", "href": f"{self_url}?page={page + 1}", "type": OPDS})
    feed = {
        "metadata": {"title": _("Borrowable e-books and audiobooks"), "currentPage": page},
        "links": links,
        "publications": [
            _publication(
                request,
                record,
                [
                    {
                        "rel": "http://opds-spec.org/acquisition/borrow",
                        "href": request.build_absolute_uri(
                            reverse("lending:borrow", args=[record.pk])
                        ),
                        "type": "text/html",
                        "properties": {
                            "availability": {
                                "state": "available"
                                if pools[record.pk].lendable(request.network.pk) > 0
                                else "unavailable"
                            }
                        },
                    }
                ],
            )
            for record in chunk[:_FEED_PAGE]
        ],
    }
    return JsonResponse(feed, content_type=OPDS, json_dumps_params={"ensure_ascii": False})


def _basic_patron(request: HttpRequest) -> Patron | None:
    """HTTP Basic with the identifier and password the patron logs in with on this portal
    (e-mail and password, or card and PIN where the network checks them against its ILS)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return Patron.of(request.user, request.network)
    try:
        identifier, _sep, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if throttle.is_locked(request, identifier):
        return None
    try:
        user = authenticate(request, identifier=identifier, secret=secret)
    except Exception:  # identity source down or refusing: no feed, same as a wrong password
        return None
    if user is None:
        throttle.record_failure(request, identifier)
        return None
    throttle.record_success(request, identifier)
    return Patron.of(user, request.network)


@never_cache
@require_GET
def opds_loans(request: HttpRequest) -> HttpResponse:
    """The patron's loans, for reading apps: each with its LCP licence link."""
    patron = _basic_patron(request)
    if patron is None:
        response = JsonResponse(
            {
                "type": "http://opds-spec.org/auth/basic",
                "title": _("Log in with your portal's identifier and password"),
            },
            status=401,
            content_type="application/vnd.opds.authentication.v1.0+json",
        )
        response["WWW-Authenticate"] = 'Basic realm="Boite", charset="UTF-8"'
        return response
    loans = (
        Loan.objects.filter(patron=patron, network=request.network, state=Loan.State.ACTIVE)
        .select_related("record__resource")
        .exclude(record=None)
        .order_by("ends_at")
    )
    publications = [
        _publication(
            request,
            loan.record,
            [
                {
                    "rel": "http://opds-spec.org/acquisition",
                    "href": loan.download_url,
                    "type": "application/vnd.readium.lcp.license.v1.0+json",
                    "properties": {
                        "availability": {
                            "state": "ready",
                            "until": loan.ends_at.isoformat() if loan.ends_at else None,
                        }
                    },
                }
            ],
        )
        for loan in loans
        if loan.download_url
    ]
    feed = {
        "metadata": {"title": _("My loans")},
        "links": [
            {
                "rel": "self",
                "href": request.build_absolute_uri(reverse("lending:opds_loans")),
                "type": OPDS,
            }
        ],
        "publications": publications,
    }
    return JsonResponse(feed, content_type=OPDS, json_dumps_params={"ensure_ascii": False})


def availability(record: Record, network, patron: Patron | None) -> dict | None:
    """What the record page shows (template tag `lending_box`)."""
    licences = list(lending.licences_of(record, network).exclude(state=Licence.State.WITHDRAWN))
    if not licences:
        return None
    free = lending.lendable_copies(record, network, patron)
    waiting = Hold.objects.filter(record=record, network=network, state=Hold.State.WAITING).count()
    mine = None
    if patron is not None:
        mine = {
            "loan": Loan.objects.filter(
                patron=patron, record=record, state__in=Loan.OPEN_STATES
            ).first(),
            "hold": Hold.objects.filter(
                patron=patron, record=record, state__in=Hold.OPEN_STATES
            ).first(),
        }
    return {"free": free, "waiting": waiting, "mine": mine, "record": record, "patron": patron}
