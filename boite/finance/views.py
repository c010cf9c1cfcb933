"""Staff pages of the consortium's finance and governance (/gestion/finances/).

Open to the finance role and network administrators; every object is read through
`boite.finance.access.scoped()`, so a page of a network one does not serve is a 404.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from boite.finance import access
from boite.finance.forms import (
    AgreementForm,
    AmendmentForm,
    CampaignForm,
    ContractForm,
    SharingKeyForm,
    StateForm,
    WhatIfForm,
)
from boite.finance.models import (
    Agreement,
    Amendment,
    Campaign,
    CampaignError,
    Committee,
    Contract,
    Meeting,
    MeetingDocument,
    Membership,
    balances,
    settlements,
)
from boite.finance.usage import cost_per_use, usage_counts
from boite.lib import documents
from boite.lib.mail import send_mail_later
from boite.lib.uploads import private_file_response
from boite.networks.access import staff_required

finance_staff = staff_required(*access.FINANCE_ROLES)
_CALLS_PER_PAGE = 100


def _get_for_user(user, model, pk: int):
    return get_object_or_404(access.scoped(user, model), pk=pk)


# -- Overview ------------------------------------------------------------------------


def _home_context(user, campaign_form: CampaignForm) -> dict:
    contracts = access.scoped(user, Contract)
    return {
        "campaigns": access.scoped(user, Campaign).select_related("network"),
        "agreements": access.scoped(user, Agreement).prefetch_related("parties"),
        "contract_years": sorted(set(contracts.values_list("year", flat=True)), reverse=True),
        "committees": access.scoped(user, Committee),
        "campaign_form": campaign_form,
    }


@finance_staff
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = _home_context(request.user, CampaignForm(user=request.user))
    return render(request, "finance/home.html", context)


# -- Memberships ---------------------------------------------------------------------


@finance_staff
@require_POST
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST, user=request.user)
    if form.is_valid():
        campaign = form.save()
        return redirect("finance:campaign", campaign.pk)
    context = _home_context(request.user, form)
    return render(request, "finance/home.html", context, status=400)


@finance_staff
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(
        access.scoped(request.user, Campaign).select_related("network"), pk=pk
    )
    what_if = None
    form = WhatIfForm(
        request.GET if "rate" in request.GET else None, initial={"rate": campaign.rate}
    )
    if form.is_valid():
        what_if = {
            "rate": form.cleaned_data["rate"],
            "total": campaign.what_if(form.cleaned_data["rate"]),
        }
    page = Paginator(campaign.calls(), _CALLS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "finance/campaign_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "total": campaign.total(),
            # Translated once, not once per call and option (a page has 100 selects).
            "states": [(value, str(label)) for value, label in Membership.State.choices],
            "what_if_form": form,
            "what_if": what_if,
        },
    )


@finance_staff
@require_POST
def campaign_generate(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_for_user(request.user, Campaign, pk)
    try:
        count = campaign.generate()
    except CampaignError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)s calls generated or refreshed.") % {"count": count})
    return redirect("finance:campaign", campaign.pk)


def _export_rows(campaign: Campaign):
    header = [
        _("Official code"),
        _("Local authority"),
        _("Reference year"),
        _("Legal population"),
        _("Rate per inhabitant (€)"),
        _("Fee (€)"),
        _("State"),
        _("Invoiced on"),
        _("Paid on"),
        _("Libraries covered"),
    ]
    rows = [
        [
            m.authority.code,
            m.authority.name,
            campaign.reference_year,
            m.population,
            m.rate,
            m.fee,
            m.get_state_display(),
            m.invoiced_on,
            m.paid_on,
            ", ".join(library.name for library in m.covered),
        ]
        for m in campaign.calls()
    ]
    return header, rows


@finance_staff
@require_GET
def campaign_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    campaign = _get_for_user(request.user, Campaign, pk)
    header, rows = _export_rows(campaign)
    return documents.tabular_download(
        header,
        rows,
        fmt=fmt,
        filename=f"cotisations-{campaign.network.slug}-{campaign.year}",
        sheet=str(campaign.year),
    )


@finance_staff
@require_POST
def campaign_remind(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_for_user(request.user, Campaign, pk)
    today = timezone.localdate()
    sent = 0
    for membership in campaign.memberships.select_related("authority"):
        if not membership.awaits_payment or not membership.contact_email:
            continue
        send_mail_later(
            membership.contact_email,
            "finance/mail/reminder",
            {
                "authority": membership.authority.name,
                "network": campaign.network.name,
                "year": campaign.year,
                "fee": membership.fee,
                "population": membership.population,
                "rate": membership.rate,
                "due_date": campaign.due_date,
                "contact": campaign.network.contact_email,
            },
            reply_to=campaign.network.contact_email or None,
        )
        membership.reminded_on = today
        membership.save(update_fields=["reminded_on"])
        sent += 1
    messages.success(request, _("%(count)s reminders queued.") % {"count": sent})
    return redirect("finance:campaign", campaign.pk)


@finance_staff
@require_POST
def membership_state(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _get_for_user(request.user, Membership, pk)
    form = StateForm(request.POST)
    if form.is_valid():
        membership.move_to(form.cleaned_data["state"], form.cleaned_data["on"])
        messages.success(
            request,
            _("%(authority)s: %(state)s.")
            % {"authority": membership.authority.name, "state": membership.get_state_display()},
        )
    else:
        messages.error(request, _("Choose a valid state and date; nothing was changed."))
    return redirect("finance:campaign", membership.campaign_id)


def _letter_context(membership: Membership) -> dict:
    campaign = membership.campaign
    return {
        "membership": membership,
        "campaign": campaign,
        "network": campaign.network,
        "today": timezone.localdate(),
    }


@finance_staff
@require_GET
def membership_letter(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _get_for_user(request.user, Membership, pk)
    return render(request, "finance/letter.html", _letter_context(membership))


@finance_staff
@require_GET
def membership_letter_odt(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _get_for_user(request.user, Membership, pk)
    campaign = membership.campaign
    network = campaign.network
    libraries = ", ".join(lib.name for lib in membership.libraries.all())
    blocks = [
        documents.Paragraph(network.name + "\n" + network.contact_address),
        documents.Paragraph(membership.authority.name, align="end"),
        documents.Paragraph(timezone.localdate().strftime("%d/%m/%Y"), align="end"),
        documents.Heading(
            _("Call for membership fees %(year)s") % {"year": campaign.year}, level=1
        ),
        documents.Paragraph(_("Madam, Sir,")),
        documents.Paragraph(
            _(
                "Your authority takes part in %(network)s. For %(year)s, the membership fee "
                "is computed on your legal population of %(reference)s at the rate voted by "
                "the network."
            )
            % {"network": network.name, "year": campaign.year, "reference": campaign.reference_year}
        ),
        documents.Table(
            [
                _("Legal population (%(year)s)") % {"year": campaign.reference_year},
                _("Rate per inhabitant (€)"),
                _("Fee (€)"),
            ],
            [[membership.population, membership.rate, membership.fee]],
        ),
        documents.Paragraph(
            _("Libraries covered: %(libraries)s") % {"libraries": libraries or "—"}
        ),
    ]
    if campaign.due_date:
        blocks.append(
            documents.Paragraph(
                _("Please pay by %(date)s.") % {"date": campaign.due_date.strftime("%d/%m/%Y")}
            )
        )
    blocks.append(
        documents.Paragraph(_("Yours faithfully,") + "\n" + _("The network's finance officer"))
    )
    content = documents.odt(blocks, title=str(membership))
    filename = f"appel-{campaign.year}-{membership.authority.code}.odt"
    return documents.download(content, filename, documents.ODT_TYPE)


@finance_staff
@require_GET
def what_if(request: HttpRequest) -> HttpResponse:
    """The total of each network's campaign of a year at another rate."""
    form = WhatIfForm(request.GET if "rate" in request.GET else None)
    campaigns = access.scoped(request.user, Campaign).select_related("network")
    year = request.GET.get("year", "")
    years = sorted(set(campaigns.values_list("year", flat=True)), reverse=True)
    if year.isdigit():
        campaigns = campaigns.filter(year=int(year))
    elif years:
        campaigns = campaigns.filter(year=years[0])
        year = str(years[0])
    rate = form.cleaned_data["rate"] if form.is_valid() else None
    rows = [
        {
            "campaign": c,
            "total": c.total(),
            "what_if": c.what_if(rate) if rate is not None else None,
        }
        for c in campaigns
    ]
    totals = {
        "total": sum((r["total"] for r in rows), Decimal("0.00")),
        "what_if": sum((r["what_if"] for r in rows), Decimal("0.00")) if rate is not None else None,
    }
    return render(
        request,
        "finance/what_if.html",
        {"form": form, "rows": rows, "totals": totals, "year": year, "years": years, "rate": rate},
    )


# -- Agreements ----------------------------------------------------------------------


@finance_staff
def agreement_create(request: HttpRequest) -> HttpResponse:
    form = AgreementForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = form.save()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The agreement has been recorded."))
            return redirect("finance:agreement", agreement.pk)
    return render(request, "finance/agreement_form.html", {"form": form}, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@finance_staff
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _get_for_user(request.user, Agreement, pk)
    amendment_form = AmendmentForm(agreement=agreement)
    key_form = SharingKeyForm(agreement=agreement)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "amendment":
            amendment_form = AmendmentForm(request.POST, request.FILES, agreement=agreement)
            if amendment_form.is_valid():
                amendment_form.save()
                messages.success(request, _("The amendment has been recorded."))
                return redirect("finance:agreement", agreement.pk)
        else:
            key_form = SharingKeyForm(request.POST, agreement=agreement)
            if key_form.is_valid():
                try:
                    key_form.save()
                except ValidationError as error:
                    key_form.add_error(None, error)
                else:
                    messages.success(request, _("The new cost-sharing key has been recorded."))
                    return redirect("finance:agreement", agreement.pk)
        status = 400
    keys = agreement.keys.prefetch_related("shares__party").select_related("amendment")
    return render(
        request,
        "finance/agreement_detail.html",
        {
            "agreement": agreement,
            "keys": keys,
            "amendments": agreement.amendments.all(),
            "contract_years": sorted(
                set(agreement.contracts.values_list("year", flat=True)), reverse=True
            ),
            "amendment_form": amendment_form,
            "key_form": key_form,
            "today": timezone.localdate(),
            "key_today": agreement.key_on(timezone.localdate()),
        },
        status=status,
    )


# -- Contracts -----------------------------------------------------------------------


@finance_staff
def contract_create(request: HttpRequest) -> HttpResponse:
    form = ContractForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contract = form.save()
        messages.success(request, _("The contract has been recorded."))
        return redirect("finance:contracts", contract.year)
    return render(request, "finance/contract_form.html", {"form": form}, status=_status(form))


@finance_staff
@require_GET
def contracts(request: HttpRequest, year: int) -> HttpResponse:
    rows = list(
        access.scoped(request.user, Contract)
        .filter(year=year)
        .select_related("ordering_party", "agreement", "resource")
        .prefetch_related("agreement__keys__shares__party")
    )
    usage = usage_counts(year)
    lines = []
    for contract in rows:
        try:
            parts = contract.split()
        except ValidationError as error:
            parts, problem = [], error.messages[0]
        else:
            problem = ""
        counts = usage.get(contract.usage_key)
        lines.append(
            {
                "contract": contract,
                "parts": parts,
                "problem": problem,
                "counts": counts,
                "cost_per_use": cost_per_use(contract.yearly_cost, counts),
            }
        )
    splittable = [line for line in lines if not line["problem"]]
    rows_balance = balances(
        [line["contract"] for line in splittable],
        {line["contract"].pk: line["parts"] for line in splittable},
    )
    return render(
        request,
        "finance/contracts.html",
        {
            "year": year,
            "lines": lines,
            "total": sum((c.yearly_cost for c in rows), Decimal("0.00")),
            "balances": rows_balance,
            "transfers": settlements(rows_balance),
            "key_day": date(year, 1, 1),
        },
    )


# -- Governance ----------------------------------------------------------------------


@finance_staff
@require_GET
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    committee = _get_for_user(request.user, Committee, pk)
    return render(
        request,
        "finance/committee_detail.html",
        {
            "committee": committee,
            "members": committee.members.order_by("last_name", "first_name"),
            "meetings": committee.meetings.all(),
            "decisions": committee.decisions.select_related("meeting"),
        },
    )


@finance_staff
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_for_user(request.user, Meeting, pk)
    return render(
        request,
        "finance/meeting_detail.html",
        {
            "meeting": meeting,
            "documents": meeting.documents.all(),
            "decisions": meeting.decisions.all(),
        },
    )


# -- Private documents ---------------------------------------------------------------

_DOCUMENTS = {
    "convention": (Agreement, "document"),
    "avenant": (Amendment, "document"),
    "reunion": (MeetingDocument, "file"),
}


@finance_staff
@require_GET
def document(request: HttpRequest, kind: str, pk: int) -> FileResponse:
    if kind not in _DOCUMENTS:
        raise Http404
    model, field = _DOCUMENTS[kind]
    obj = _get_for_user(request.user, model, pk)
    stored = getattr(obj, field)
    if not stored:
        raise Http404
    return private_file_response(stored, stored.name.rsplit("/", 1)[-1])
