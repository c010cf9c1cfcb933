"""Patron pages: « Vous inscrire », e-mail confirmation, log in and out, « Mon compte »."""

from __future__ import annotations

import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from boite.patrons import services, throttle
from boite.patrons.forms import (
    AccountForm,
    DeleteAccountForm,
    LoginForm,
    NetworkPasswordResetForm,
    RegistrationForm,
)
from boite.patrons.middleware import remember_fresh_login, remember_generation
from boite.patrons.models import Patron, PatronEvent, PatronRules

PATRON_BACKEND = "boite.patrons.backends.PatronBackend"


def _registrations_per_hour() -> int:
    return getattr(settings, "PATRONS_REGISTRATIONS_PER_IP_PER_HOUR", 5)


def patron_required(view):
    """The logged-in patron of this portal, as `request.patron`; others go to the login."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        patron = Patron.of(request.user, request.network)
        if patron is None:
            return redirect(f"{reverse('patrons:login')}?next={request.path}")
        request.patron = patron
        return view(request, *args, **kwargs)

    return wrapped


# -- registration ----------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    rules = PatronRules.for_network(request.network)
    _remember_flow(request)
    if rules.uses_sip2:
        return render(request, "patrons/register_ils.html", {"rules": rules})
    query = request.GET.get("q", "").strip()[:100]
    libraries = request.network.libraries.members().select_related("authority").order_by("name")
    shown = libraries.matching(query) if query else libraries
    if request.method == "POST":
        form = RegistrationForm(request.POST, network=request.network, libraries=libraries)
        if form.is_bot:
            # Answer as if all went well: the bot learns nothing.
            return redirect("patrons:registered")
        if throttle.rate_limited(request, "register", _registrations_per_hour(), 3600):
            messages.error(
                request, _("Too many registrations from your connection: try again in an hour.")
            )
        elif form.is_valid():
            data = form.cleaned_data
            services.register(
                network=request.network,
                library=data["home_library"],
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                phone=data["phone"],
                request=request,
            )
            return redirect("patrons:registered")
    else:
        form = RegistrationForm(network=request.network, libraries=libraries)
        if query and shown.count() == 1:
            form.initial["home_library"] = shown.first().pk
    form.fields["home_library"].queryset = shown if query and shown.exists() else libraries
    return render(
        request,
        "patrons/register.html",
        {"form": form, "query": query, "matches": shown.count() if query else None, "rules": rules},
    )


@require_GET
def registered(request: HttpRequest) -> HttpResponse:
    return render(request, "patrons/registered.html")


@never_cache
@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    patron = services.read_confirmation_token(token)
    if patron is None or patron.network_id != request.network.pk:
        return render(request, "patrons/confirm_invalid.html", status=400)
    if not services.confirm_email(patron):
        # A link logs in once only: later, the patron uses the login page.
        messages.info(request, _("Your e-mail address is already confirmed: log in."))
        return redirect("patrons:login")
    if patron.user is not None:
        login(request, patron.user, backend=PATRON_BACKEND)
        remember_generation(request, patron)
    return redirect("patrons:welcome")


@patron_required
@require_GET
def welcome(request: HttpRequest) -> HttpResponse:
    from boite.access.flows import service_for_next

    next_url = request.session.get(FLOW_KEY, "")
    flow = service_for_next(request.network, next_url)
    return render(
        request,
        "patrons/welcome.html",
        {"patron": request.patron, "flow": flow, "next": next_url if flow else ""},
    )


FLOW_KEY = "patron_flow_next"


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return ""
    return next_url


def _remember_flow(request: HttpRequest) -> None:
    """A visitor who registers on the way to a provider (the login page's « Vous
    inscrire ») finds the way on after confirming their e-mail, in the same browser."""
    next_url = _safe_next(request)
    if next_url:
        request.session[FLOW_KEY] = next_url


# -- login ----------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The one patron login of the portal: the header's « Se connecter », the gate, and
    every protocol flow (CAS, OpenID Connect) that needs a patron come here, and go back
    to `next` (same host only) once the patron is logged in."""
    from boite.access.flows import service_for_next

    rules = PatronRules.for_network(request.network)
    next_url = _safe_next(request)
    flow = service_for_next(request.network, next_url)
    initial = {"identifier": flow.login_hint} if flow and flow.login_hint else None
    form = LoginForm(request.POST or None, request=request, card=rules.uses_sip2, initial=initial)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend=PATRON_BACKEND)
        patron = Patron.objects.get(user=form.user)
        remember_generation(request, patron)
        remember_fresh_login(request, next_url)
        return HttpResponseRedirect(next_url or reverse("patrons:account"))
    # A session of the back office is no patron: say so, the form logs a patron in.
    staff_session = request.user.is_authenticated and (
        Patron.of(request.user, request.network) is None
    )
    return render(
        request,
        "patrons/login.html",
        {
            "form": form,
            "next": next_url,
            "rules": rules,
            "flow": flow,
            "staff_session": staff_session,
        },
    )


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        messages.success(request, _("You are logged out."))
        return redirect("networks:home")
    return render(request, "patrons/logout.html")


# -- patron space -----------------------------------------------------------------
@patron_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "patrons/account.html", {"patron": request.patron})


@patron_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest) -> HttpResponse:
    patron = request.patron
    user = patron.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "birth_date": patron.birth_date,
        "phone": patron.phone,
    }
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user.first_name, user.last_name = data["first_name"], data["last_name"]
        user.save(update_fields=["first_name", "last_name"])
        patron.birth_date, patron.phone = data["birth_date"], data["phone"]
        patron.save()
        patron.log(PatronEvent.Kind.UPDATED, user)
        messages.success(request, _("Your details are saved."))
        return redirect("patrons:account")
    return render(request, "patrons/account_edit.html", {"form": form, "patron": patron})


@patron_required
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    patron = request.patron
    patron.log(PatronEvent.Kind.EXPORTED, patron.user)
    data = json.dumps(services.export(patron), ensure_ascii=False, indent=2)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    response["Cache-Control"] = "no-store"
    return response


@patron_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    patron = request.patron
    form = DeleteAccountForm(request.POST or None, user=patron.user)
    if request.method == "POST" and form.is_valid():
        logout(request)
        services.erase(patron)
        messages.success(request, _("Your account and your personal data are erased."))
        return redirect("networks:home")
    return render(request, "patrons/account_delete.html", {"form": form, "patron": patron})


@patron_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    patron = request.patron
    Patron.objects.filter(pk=patron.pk).update(session_generation=patron.session_generation + 1)
    logout(request)
    messages.success(request, _("You are logged out on every device."))
    return redirect("patrons:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "patrons/password_change.html"
    success_url = reverse_lazy("patrons:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("Your password is changed."))
        return response


password_change = patron_required(PasswordChangeView.as_view())


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "patrons/password_reset.html"
    email_template_name = "patrons/mail/password_reset_body.txt"
    subject_template_name = "patrons/mail/password_reset_subject.txt"
    success_url = reverse_lazy("patrons:password_reset_done")
    form_class = NetworkPasswordResetForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.network = self.request.network
        return form

    def post(self, request, *args, **kwargs):
        # Each request sends an e-mail: a limit per address keeps the form from being
        # used to flood mailboxes or the SMTP relay (issue 10, security).
        limit = getattr(settings, "PATRONS_PASSWORD_RESETS_PER_IP_PER_HOUR", 10)
        if throttle.rate_limited(request, "password-reset", limit, 3600):
            form = self.get_form()
            form.add_error(None, _("Too many requests from your connection: try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="patrons/password_reset_done.html"
)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "patrons/password_reset_confirm.html"
    success_url = reverse_lazy("patrons:password_reset_complete")

    def form_valid(self, form):
        # The way back in for a patron locked out by failed attempts: the new password
        # works at once from the address the reset was completed from.
        throttle.record_success(self.request, self.user.email)
        return super().form_valid(form)


password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="patrons/password_reset_complete.html"
)
