"""Staff pages under /gestion/usagers/: the validation queue of one's library, search,
a patron's page with its actions and history, export, and the import from the ILS.

Every query goes through `staff_access(user).scope(...)`: the staff of a library see
its patrons only, a network administrator those of their network.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from boite.lib import documents
from boite.lib.text import fold
from boite.networks.access import staff_access, staff_required
from boite.networks.models import StaffRole
from boite.patrons import importer, services
from boite.patrons.forms import (
    ApproveForm,
    ChangeLibraryForm,
    DocumentForm,
    ImportForm,
    QueueFilterForm,
    ReasonForm,
    RenewForm,
)
from boite.patrons.models import Patron

ROLES = (StaffRole.Kind.LIBRARY_STAFF, StaffRole.Kind.NETWORK_ADMIN)
PER_PAGE = 50
URGENT_DAYS = 3  # a trial ending within these days is flagged in the queue
SEARCH_LIMIT = 50
_IMPORT_SESSION_KEY = "patrons_import"


def scoped_patrons(request: HttpRequest):
    return staff_access(request.user).scope(
        Patron.objects.exclude(state=Patron.State.ERASED),
        library="home_library",
        network="network",
    )


def _patron(request: HttpRequest, pk: int) -> Patron:
    return get_object_or_404(
        scoped_patrons(request).select_related("user", "home_library", "network"), pk=pk
    )


@staff_required(*ROLES)
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest) -> HttpResponse:
    """GET: the validation queue. POST: a search — by POST so that names and e-mails
    never appear in URLs or in the web server's logs."""
    patrons = scoped_patrons(request).select_related("user", "home_library")
    query = request.POST.get("q", "").strip()[:100] if request.method == "POST" else ""
    if query:
        for word in fold(query).split():
            patrons = patrons.filter(search_text__contains=word)
        found = list(patrons.order_by("search_text", "pk")[: SEARCH_LIMIT + 1])
        context = {
            "results": found[:SEARCH_LIMIT],
            "more": len(found) > SEARCH_LIMIT,
            "query": query,
            "page": None,
        }
        return render(request, "patrons/staff/queue.html", context)
    return _render_queue(request, request.GET)


def _render_queue(
    request: HttpRequest, filters, *, typed: dict | None = None, errors: dict | None = None
) -> HttpResponse:
    """The validation queue: waiting registrations of the person's libraries, each row with
    its card-number field, so that validating is typing (or scanning) a card and Enter."""
    access = staff_access(request.user)
    form = QueueFilterForm(filters, libraries=access.libraries().order_by("name"))
    patrons = form.apply(
        scoped_patrons(request).awaiting_validation().select_related("user", "home_library")
    )
    page = Paginator(patrons, PER_PAGE).get_page(filters.get("page"))
    today = timezone.localdate()
    typed, errors = typed or {}, errors or {}
    rows = [
        {
            "patron": patron,
            "days_left": (patron.trial_ends_on - today).days if patron.trial_ends_on else None,
            "card": typed.get(patron.pk, patron.card_number),
            "error": errors.get(patron.pk, ""),
        }
        for patron in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "filter_form": form,
        "filters": filters.urlencode() if hasattr(filters, "urlencode") else "",
        "results": None,
        "query": "",
        "summary": [(row["patron"], row["error"]) for row in rows if row["error"]]
        + ([(None, errors["_"])] if "_" in errors else []),
        "urgent_days": URGENT_DAYS,
    }
    return render(request, "patrons/staff/queue.html", context, status=400 if errors else 200)


@staff_required(*ROLES)
@require_POST
def validate_from_queue(request: HttpRequest) -> HttpResponse:
    """Validate from the queue: the row whose button was pressed, or — Enter, or the
    « validate every typed card » button — every row whose card number was typed."""
    filters = QueryDict(request.POST.get("filters", ""), mutable=True)
    button = request.POST.get("validate", "all")
    typed = {}
    for key, value in request.POST.items():
        if key.startswith("card-") and key[5:].isdigit() and value.strip():
            typed[int(key[5:])] = value.strip()
    wanted = (
        typed if button == "all" else {pk: card for pk, card in typed.items() if str(pk) == button}
    )
    if not wanted:
        row = int(button) if button.isdigit() else "_"
        return _render_queue(request, filters, errors={row: _("Type the card number first.")})
    patrons = {
        p.pk: p for p in scoped_patrons(request).awaiting_validation().filter(pk__in=list(wanted))
    }
    errors, done = {}, []
    for pk, card in wanted.items():
        patron = patrons.get(pk)
        if patron is None:
            continue  # not (or no longer) in this person's queue: nothing to do
        form = ApproveForm(
            {"card_number": card, "expires_on": patron.default_expiry()}, patron=patron
        )
        if form.is_valid():
            services.approve(patron, actor=request.user, request=request, **form.cleaned_data)
            done.append(patron)
        else:
            errors[pk] = " ".join(e for field in form.errors.values() for e in field)
    if done:
        messages.success(
            request,
            ngettext(
                "Registration validated: %(names)s.",
                "%(count)d registrations validated: %(names)s.",
                len(done),
            )
            % {"count": len(done), "names": ", ".join(p.full_name for p in done)},
        )
    if errors:
        return _render_queue(request, filters, typed=typed, errors=errors)
    filters.pop("page", None)
    query = f"?{filters.urlencode()}" if filters else ""
    return redirect(f"{reverse('patrons:staff_queue')}{query}")


@staff_required(*ROLES)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    return render(request, "patrons/staff/detail.html", _detail_context(patron))


def _detail_context(patron: Patron, **forms) -> dict:
    default_expiry = patron.default_expiry()
    context = {
        "patron": patron,
        "events": patron.events.select_related("actor", "library"),
        "approve_form": ApproveForm(
            patron=patron,
            prefix="approve",
            initial={"card_number": patron.card_number, "expires_on": default_expiry},
        ),
        "renew_form": RenewForm(
            prefix="renew",
            initial={"expires_on": max(default_expiry, patron.expires_on or default_expiry)},
        ),
        "reject_form": ReasonForm(prefix="reject"),
        "suspend_form": ReasonForm(prefix="suspend"),
        "document_form": DocumentForm(prefix="document"),
        "library_form": ChangeLibraryForm(patron=patron, prefix="move"),
    }
    context.update(forms)
    return context


def _done(request, patron: Patron, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("patrons:staff_detail", pk=patron.pk)


def _invalid(request, patron: Patron, **forms) -> HttpResponse:
    return render(
        request, "patrons/staff/detail.html", _detail_context(patron, **forms), status=400
    )


@staff_required(*ROLES)
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    form = ApproveForm(request.POST, patron=patron, prefix="approve")
    if not form.is_valid():
        return _invalid(request, patron, approve_form=form)
    services.approve(patron, actor=request.user, request=request, **form.cleaned_data)
    if request.POST.get("and_next"):
        following = (
            QueueFilterForm({}, libraries=staff_access(request.user).libraries())
            .apply(scoped_patrons(request).awaiting_validation())
            .exclude(pk=patron.pk)
            .first()
        )
        messages.success(
            request, _("The registration of %(name)s is validated.") % {"name": patron.full_name}
        )
        if following is None:
            messages.info(request, _("Nobody else is waiting for validation."))
            return redirect("patrons:staff_queue")
        return redirect("patrons:staff_detail", pk=following.pk)
    return _done(request, patron, _("The registration is validated."))


@staff_required(*ROLES)
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    form = ReasonForm(request.POST, prefix="reject")
    if not form.is_valid():
        return _invalid(request, patron, reject_form=form)
    services.reject(patron, reason=form.cleaned_data["reason"], actor=request.user, request=request)
    return _done(request, patron, _("The registration is rejected."))


@staff_required(*ROLES)
@require_POST
def ask_document(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    form = DocumentForm(request.POST, prefix="document")
    if not form.is_valid():
        return _invalid(request, patron, document_form=form)
    services.request_document(
        patron, message=form.cleaned_data["message"], actor=request.user, request=request
    )
    return _done(request, patron, _("The patron is asked for a document."))


@staff_required(*ROLES)
@require_POST
def renew(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    form = RenewForm(request.POST, prefix="renew")
    if not patron.validated_at:
        messages.error(request, _("Validate the registration first."))
        return redirect("patrons:staff_detail", pk=patron.pk)
    if not form.is_valid():
        return _invalid(request, patron, renew_form=form)
    services.renew(
        patron, expires_on=form.cleaned_data["expires_on"], actor=request.user, request=request
    )
    return _done(request, patron, _("The registration is renewed."))


@staff_required(*ROLES)
@require_POST
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    form = ReasonForm(request.POST, prefix="suspend")
    if not form.is_valid():
        return _invalid(request, patron, suspend_form=form)
    services.suspend(
        patron, reason=form.cleaned_data["reason"], actor=request.user, request=request
    )
    return _done(request, patron, _("The access is suspended."))


@staff_required(*ROLES)
@require_POST
def reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    if patron.state != Patron.State.SUSPENDED:
        messages.error(request, _("This access is not suspended."))
        return redirect("patrons:staff_detail", pk=patron.pk)
    services.reinstate(patron, actor=request.user, request=request)
    return _done(request, patron, _("The suspension is lifted."))


@staff_required(*ROLES)
@require_POST
def change_library(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _patron(request, pk)
    form = ChangeLibraryForm(request.POST, patron=patron, prefix="move")
    if not form.is_valid():
        return _invalid(request, patron, library_form=form)
    services.change_library(
        patron, library=form.cleaned_data["library"], actor=request.user, request=request
    )
    messages.success(
        request,
        _("The patron now belongs to %(library)s.")
        % {"library": form.cleaned_data["library"].name},
    )
    if (
        staff_access(request.user)
        .scope(Patron.objects.filter(pk=patron.pk), library="home_library")
        .exists()
    ):
        return redirect("patrons:staff_detail", pk=patron.pk)
    return redirect("patrons:staff_queue")


@staff_required(*ROLES)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The patrons one may see, as CSV (boite.lib.documents: UTF-8 with BOM, for
    spreadsheets)."""
    header = [
        _("Card number"),
        _("Last name"),
        _("First name"),
        _("E-mail"),
        _("Birth date"),
        _("Library"),
        _("State"),
        _("Valid until"),
    ]
    patrons = scoped_patrons(request).select_related("user", "home_library").order_by("pk")
    rows = (
        [
            p.card_number,
            p.user.last_name if p.user else "",
            p.user.first_name if p.user else "",
            p.email,
            p.birth_date,
            p.home_library.name,
            p.get_state_display(),
            p.expires_on,
        ]
        for p in patrons.iterator(chunk_size=2000)
    )
    response = HttpResponse(documents.csv_bytes(header, rows), content_type=documents.CSV_TYPE)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="usagers-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required(*ROLES)
@require_http_methods(["GET", "POST"])
def import_patrons(request: HttpRequest) -> HttpResponse:
    libraries = staff_access(request.user).libraries().select_related("network").order_by("name")
    if request.method == "POST" and request.POST.get("apply"):
        return _apply_import(request, libraries)
    form = ImportForm(request.POST or None, request.FILES or None, libraries=libraries)
    preview = None
    if request.method == "POST" and form.is_valid():
        library = form.cleaned_data["library"]
        raw = form.cleaned_data["file"].read(importer.MAX_BYTES + 1)
        try:
            text = importer.decode(raw)
            preview = importer.plan(text, library)
        except importer.ImportFileError as error:
            form.add_error("file", error.message)
        else:
            request.session[_IMPORT_SESSION_KEY] = {"library": library.pk, "text": text}
    return render(request, "patrons/staff/import.html", {"form": form, "preview": preview})


def _apply_import(request: HttpRequest, libraries) -> HttpResponse:
    stored = request.session.pop(_IMPORT_SESSION_KEY, None)
    library = libraries.filter(pk=(stored or {}).get("library")).first()
    if not stored or library is None:
        messages.error(request, _("Upload the file again: the preview has expired."))
        return redirect("patrons:staff_import")
    try:
        with transaction.atomic():
            result = importer.apply(stored["text"], library, actor=request.user)
    except importer.ImportFileError as error:
        messages.error(request, error.message)
        return redirect("patrons:staff_import")
    messages.success(
        request,
        _(
            "Import done: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(errors)d rows refused."
        )
        % result.counts(),
    )
    return redirect("patrons:staff_queue")
