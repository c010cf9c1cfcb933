"""The gate in front of every provider (« Accéder »), and the CAS 1.0 / 2.0 / 3.0 server
by which the portal identifies patrons for CAS providers.

Protocol: https://apereo.github.io/cas/7.0.x/protocol/CAS-Protocol-Specification.html
Tickets are issued only for service URLs whitelisted on an active CAS connector of the
portal's network, are used once and live 60 seconds. The `user` is the patron's
pseudonymous id; attributes are those the connector allows.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from boite.access.connectors import HandoverError, same_origin
from boite.access.connectors.cas import parse_service, same_service
from boite.access.flows import patron_login
from boite.access.identity import identity_for, identity_from_patron, refusal_for
from boite.access.models import AccessCounter, Connector, ServiceTicket
from boite.access.rules import Decision, decide, quota_status
from boite.catalog.models import Record, Resource
from boite.networks.models import Authority
from boite.patrons.middleware import take_fresh_login
from boite.patrons.models import Patron
from boite.stats.events import EventKind, age_band, record_event

_TRUE = {"true", "1", "yes"}


def _cas_connector_for(request: HttpRequest, service: str) -> Connector | None:
    """The active CAS connector of this portal that whitelists the service URL."""
    for connector in Connector.objects.filter(
        network=request.network, kind="cas", is_active=True
    ).select_related("network"):
        if connector.allows_service(service):
            return connector
    return None


def _with_params(url: str, **params: str) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    pairs = parse_qsl(query, keep_blank_values=True) + list(params.items())
    return urlunsplit((scheme, netloc, path, urlencode(pairs), fragment))


def _error_page(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "access/cas_error.html", {"message": message}, status=status)


def _wants(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() in _TRUE


@never_cache
@require_GET
def cas_login(request: HttpRequest) -> HttpResponse:
    """CAS 3.0 §2.1: a ticket for a whitelisted service, once the visitor is a patron.

    An anonymous visitor (or a staff session) goes to the patron login of this portal
    and comes back here; `gateway=true` goes back to the service without a ticket
    instead; `renew=true` asks for the password again even in an open session, and the
    ticket then says so (checked by a validation with `renew=true`).
    """
    service = request.GET.get("service", "")
    renew = _wants(request, "renew")
    if not service:
        if Patron.of(request.user, request.network) is None or (
            renew and not take_fresh_login(request)
        ):
            return patron_login(request)
        return render(request, "access/cas_logged_in.html")
    connector = _cas_connector_for(request, service)
    if connector is None:
        return _error_page(request, _("This service is not allowed to use the portal's login."))
    target = parse_service(service).url
    fresh = take_fresh_login(request)
    if Patron.of(request.user, request.network) is None:
        # renew wins over gateway (the specification leaves the pair undefined).
        if _wants(request, "gateway") and not renew:
            return HttpResponseRedirect(target)
        return patron_login(request)
    if renew and not fresh:
        return patron_login(request)
    refusal = refusal_for(request.user, connector)
    if refusal:
        return _error_page(request, refusal)
    ticket = ServiceTicket.objects.create(
        connector=connector, user=request.user, service=target, from_new_login=fresh
    )
    return HttpResponseRedirect(_with_params(target, ticket=ticket.ticket))


@never_cache
@require_GET
def cas_logout(request: HttpRequest) -> HttpResponse:
    """CAS 3.0 §2.3: the session ends; a `service` is followed only when whitelisted."""
    logout(request)
    target = request.GET.get("service") or request.GET.get("url") or ""
    if target and _cas_connector_for(request, target) is not None:
        return HttpResponseRedirect(parse_service(target).url)
    return render(request, "access/cas_logged_out.html")


class _Failure(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(code)
        self.code, self.description = code, description


def _check_ticket(request: HttpRequest) -> tuple[ServiceTicket, Connector]:
    """The ticket named by the request, consumed; or a `_Failure` with its CAS code."""
    ticket_id = request.GET.get("ticket", "")
    service = request.GET.get("service", "")
    if not ticket_id or not service:
        raise _Failure("INVALID_REQUEST", "Both 'ticket' and 'service' are required.")
    if not ticket_id.startswith("ST-"):
        raise _Failure("INVALID_TICKET_SPEC", "Only service tickets (ST-) are accepted here.")
    # Consumed first, whatever happens next: a ticket is never validated twice.
    ticket = ServiceTicket.objects.consume(ticket_id)
    if ticket is None:
        raise _Failure("INVALID_TICKET", "Ticket not recognised or already used.")
    connector = ticket.connector
    if connector.network_id != request.network.pk or not connector.is_active:
        raise _Failure("INVALID_TICKET", "Ticket not recognised or already used.")
    if ticket.is_expired:
        raise _Failure("INVALID_TICKET", "Ticket expired.")
    if not same_service(service, ticket.service):
        raise _Failure("INVALID_SERVICE", "Ticket was issued for another service.")
    if not connector.allows_service(service):
        raise _Failure("UNAUTHORIZED_SERVICE", "Service is no longer allowed.")
    if _wants(request, "renew") and not ticket.from_new_login:
        raise _Failure("INVALID_TICKET", "Ticket was not issued from a new login (renew).")
    return ticket, connector


@never_cache
@require_GET
def cas_validate(request: HttpRequest) -> HttpResponse:
    """CAS 1.0: `yes\\n<user>\\n` or `no\\n\\n`."""
    try:
        ticket, connector = _check_ticket(request)
    except _Failure:
        return HttpResponse("no\n\n", content_type="text/plain; charset=utf-8")
    identity = identity_for(ticket.user, connector.network, connector)
    if identity is None:
        return HttpResponse("no\n\n", content_type="text/plain; charset=utf-8")
    return HttpResponse(f"yes\n{identity.pseudonym}\n", content_type="text/plain; charset=utf-8")


def _failure_response(failure: _Failure, as_json: bool, element: str) -> HttpResponse:
    if as_json:
        body = {element: {"code": failure.code, "description": failure.description}}
        return JsonResponse({"serviceResponse": body})
    xml = render_to_string("access/cas_failure.xml", {"failure": failure, "element": element})
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


def _format(request: HttpRequest) -> str | None:
    """XML (the default) or JSON; None for anything else (CAS 3.0 §2.5.1)."""
    wanted = request.GET.get("format", "XML").upper()
    return wanted if wanted in {"XML", "JSON"} else None


def _service_validate(request: HttpRequest) -> HttpResponse:
    wanted = _format(request)
    as_json = wanted == "JSON"
    if wanted is None:
        failure = _Failure("INVALID_REQUEST", "The format must be XML or JSON.")
        return _failure_response(failure, False, "authenticationFailure")
    try:
        ticket, connector = _check_ticket(request)
    except _Failure as failure:
        return _failure_response(failure, as_json, "authenticationFailure")
    identity = identity_for(ticket.user, connector.network, connector)
    if identity is None:
        failure = _Failure("INVALID_TICKET", "The account is no longer a patron of the network.")
        return _failure_response(failure, as_json, "authenticationFailure")
    attributes = identity.attributes(connector.settings.get("attributes", []))
    if as_json:
        body = {"authenticationSuccess": {"user": identity.pseudonym, "attributes": attributes}}
        return JsonResponse({"serviceResponse": body})
    xml = render_to_string(
        "access/cas_success.xml", {"user": identity.pseudonym, "attributes": attributes.items()}
    )
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


@never_cache
@require_GET
def cas_service_validate(request: HttpRequest) -> HttpResponse:
    """CAS 2.0 (attributes included, as most CAS servers and clients do)."""
    return _service_validate(request)


@never_cache
@require_GET
def cas_p3_service_validate(request: HttpRequest) -> HttpResponse:
    """CAS 3.0."""
    return _service_validate(request)


@never_cache
@require_GET
def cas_proxy_validate(request: HttpRequest) -> HttpResponse:
    """/proxyValidate validates service tickets as /serviceValidate does (CAS 3.0 §2.6:
    it must accept them); the portal issues no proxy tickets, so a `PT-` ticket gets
    INVALID_TICKET_SPEC and a `pgtUrl` is not called back (no proxy-granting ticket)."""
    return _service_validate(request)


@never_cache
@require_GET
def cas_proxy(request: HttpRequest) -> HttpResponse:
    """/proxy: the portal grants no proxy-granting tickets, so every request gets the
    protocol's own failure document (CAS 3.0 §2.7.2), never an HTML page."""
    if not request.GET.get("pgt") or not request.GET.get("targetService"):
        failure = _Failure("INVALID_REQUEST", "Both 'pgt' and 'targetService' are required.")
    else:
        failure = _Failure("INVALID_TICKET", "Proxy-granting tickets are not issued here.")
    return _failure_response(failure, _format(request) == "JSON", "proxyFailure")


# -- the gate: « Accéder » ---------------------------------------------------------------


def _log(kind: str, decision: Decision, network, resource, record, reason: str = "") -> None:
    """One event per click, granted or refused: the access log (stats)."""
    patron = decision.patron
    record_event(
        kind,
        patron=patron.pseudonym if patron is not None else "",
        network=network,
        library=patron.home_library if patron is not None else None,
        # The commune by its id alone: no query for a row the event only points at.
        commune=Authority(pk=patron.home_library.authority_id) if patron is not None else None,
        age_band=age_band(patron.birth_date) if patron is not None else "",
        resource=resource.slug,
        record=record.provider_id if record is not None else "",
        connector=decision.connector.kind if decision.connector is not None else "",
        result="ok" if kind == EventKind.ACCESS_GRANTED else "refused",
        reason=reason,
    )


def _refuse(request, decision: Decision, resource, record, code: str, message: str):
    _log(EventKind.ACCESS_REFUSED, decision, request.network, resource, record, code)
    patron = decision.patron
    return render(
        request,
        "access/refused.html",
        {
            "message": message,
            "code": code,
            "resource": resource,
            "record": record,
            "library": patron.home_library if patron is not None else None,
        },
        status=403,
    )


@never_cache
@require_GET
def gate(request: HttpRequest, slug: str, record_id: int | None = None) -> HttpResponse:
    """Check the patron's right (rules.decide), count the quota, log, hand over."""
    if not request.user.is_authenticated:
        # The login page sends the patron straight back here (`next`, same host only).
        return redirect_to_login(request.get_full_path(), reverse("patrons:login"))
    resource = get_object_or_404(Resource.objects.select_related("provider"), slug=slug)
    record = None
    if record_id is not None:
        record = get_object_or_404(Record, pk=record_id, resource=resource, withdrawn=False)
    # The quota is checked and counted in one step by AccessCounter.take below.
    decision = decide(request.user, request.network, resource, quota=False)
    if not decision.allowed:
        return _refuse(request, decision, resource, record, decision.code, decision.message)
    connector = decision.connector
    identity = identity_from_patron(decision.patron, connector)
    # The record's address at the provider, when it is on the connector's own site;
    # otherwise the provider's home: the gate never sends anyone elsewhere.
    target = record.deep_link if record is not None else ""
    if target and not same_origin(target, connector.settings.get("url", "")):
        target = ""
    try:
        response = connector.handover(request, identity, target)
    except HandoverError as error:
        return _refuse(request, decision, resource, record, "handover", str(error))
    # Counted and logged together: a failure leaves neither (and the click may be retried).
    with transaction.atomic():
        granted = AccessCounter.take(decision.patron, resource, decision.quota, record)
        if granted:
            _log(EventKind.ACCESS_GRANTED, decision, request.network, resource, record)
            return response
        status = quota_status(decision.patron, resource, request.network)
        message = status.sentence() if status else _("Your quota is used up.")
        return _refuse(request, decision, resource, record, "quota", message)


# -- patron space: « Mes ressources » --------------------------------------------------


@never_cache
@require_GET
def my_resources(request: HttpRequest) -> HttpResponse:
    """Recently opened resources and what is left of each quota."""
    from boite.access.models import Quota

    patron = Patron.of(request.user, request.network)
    if patron is None:
        return redirect_to_login(request.get_full_path(), reverse("patrons:login"))
    recent, seen = [], set()
    counters = (
        AccessCounter.objects.filter(patron=patron, resource__networks=request.network)
        .select_related("resource", "last_record")
        .order_by("-last_opened_at")[:50]
    )
    for counter in counters:
        if counter.resource_id not in seen:
            seen.add(counter.resource_id)
            recent.append(counter)
    quotas = []
    for quota in Quota.objects.filter(
        network=request.network, resource__in=Resource.objects.open_to(request.network)
    ).select_related("resource"):
        quotas.append((quota.resource, quota_status(patron, quota.resource, request.network)))
    return render(
        request,
        "access/my_resources.html",
        {"patron": patron, "recent": recent[:10], "quotas": quotas},
    )
