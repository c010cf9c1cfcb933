"""Forms of the patrons: registration, login, account; and of the staff: validation."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from boite.lib import lockout
from boite.networks.models import Library
from boite.patrons import throttle
from boite.patrons.identity import IdentityUnavailable, LoginRefused
from boite.patrons.models import Patron

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _check_birth_date(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("A birth date cannot be in the future."))
    if value and value.year < 1900:
        raise forms.ValidationError(_("Enter a birth date after 1900."))
    return value


class LibraryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Library) -> str:
        return f"{obj.name} — {obj.authority.name} ({obj.postal_code})"


class RegistrationForm(forms.Form):
    home_library = LibraryChoiceField(
        label=_("Your library"),
        queryset=Library.objects.none(),
        empty_label=_("Choose your library"),
        help_text=_("The library where you will validate your registration."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    birth_date = forms.DateField(label=_("Birth date"), widget=DATE_INPUT)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    consent = forms.BooleanField(
        label=_("I have read the personal-data notice and agree to it."), required=True
    )
    # A field people never see (hidden by CSS and from assistive technology): bots fill it.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, network, libraries=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.network = network
        qs = network.libraries.members().select_related("authority").order_by("name")
        self.fields["home_library"].queryset = libraries if libraries is not None else qs
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_birth_date(self):
        return _check_birth_date(self.cleaned_data.get("birth_date"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if Patron.objects.filter(network=self.network, user__email__iexact=email).exists():
            raise forms.ValidationError(
                _(
                    "An account already uses this e-mail address on this portal. Log in, or "
                    "reset your password if you forgot it; your library can help too."
                ),
                code="duplicate",
            )
        return email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            from boite.networks.models import User

            probe = User(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


def _locked_message(until, *, card: bool) -> str:
    words = lockout.retry_words(until)
    if card:
        return (
            ngettext(
                "Too many failed attempts from your connection: try again in %(minutes)d minute "
                "(at %(time)s). Your library can tell you your PIN.",
                "Too many failed attempts from your connection: try again in %(minutes)d minutes "
                "(at %(time)s). Your library can tell you your PIN.",
                words["minutes"],
            )
            % words
        )
    return (
        ngettext(
            "Too many failed attempts from your connection: try again in %(minutes)d minute "
            "(at %(time)s), or reset your password now with « Forgot your password? ».",
            "Too many failed attempts from your connection: try again in %(minutes)d minutes "
            "(at %(time)s), or reset your password now with « Forgot your password? ».",
            words["minutes"],
        )
        % words
    )


class LoginForm(forms.Form):
    identifier = forms.CharField(label=_("E-mail address"), max_length=254)
    secret = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, card: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None
        self.card = card
        if card:
            self.fields["identifier"].label = _("Card number")
            self.fields["secret"].label = _("PIN")
            self.fields["identifier"].widget.attrs["autocomplete"] = "username"
        else:
            self.fields["identifier"].widget.attrs["autocomplete"] = "email"

    def clean(self):
        data = super().clean()
        identifier, secret = data.get("identifier"), data.get("secret")
        if not identifier or not secret:
            return data
        until = throttle.locked_until(self.request, identifier)
        if until is not None:
            raise forms.ValidationError(_locked_message(until, card=self.card), code="locked")
        try:
            self.user = authenticate(self.request, identifier=identifier, secret=secret)
        except IdentityUnavailable as error:
            raise forms.ValidationError(error.message, code="unavailable") from None
        except LoginRefused as refused:
            raise forms.ValidationError(refused.message, code="refused") from None
        if self.user is None:
            throttle.record_failure(self.request, identifier)
            if _is_staff_account(identifier, secret):
                raise forms.ValidationError(
                    _(
                        "This is a staff account of the back office: it does not open "
                        "resources. Log in with your patron account, or register."
                    ),
                    code="staff",
                )
            raise forms.ValidationError(
                _("These details do not match an account of this portal."), code="invalid"
            )
        throttle.record_success(self.request, identifier)
        return data


def _is_staff_account(identifier: str, secret: str) -> bool:
    """Whether the credentials are those of an account with no patron record here (a
    librarian's or an administrator's): told apart only once the password is right."""
    from boite.networks.models import User

    identifier = identifier.strip()
    user = (
        User.objects.filter(Q(email__iexact=identifier) | Q(username=identifier))
        .filter(patron__isnull=True)
        .first()
    )
    return user is not None and user.is_active and user.check_password(secret)


class AccountForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), widget=DATE_INPUT)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)

    def clean_birth_date(self):
        return _check_birth_date(self.cleaned_data.get("birth_date"))


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to confirm"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data will be erased now."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password


class NetworkPasswordResetForm(PasswordResetForm):
    """Sends the link only to the patrons of the portal the request came through, through
    the queued e-mail of boite.lib.mail."""

    network = None

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):  # fmt: skip
        from boite.lib.mail import send_mail_later

        send_mail_later(to_email, "patrons/mail/password_reset", context)

    def get_users(self, email):
        patrons = Patron.objects.filter(
            network=self.network, user__email__iexact=email, user__is_active=True
        ).select_related("user")
        return [p.user for p in patrons if p.user.has_usable_password()]


# -- staff ---------------------------------------------------------------------
class ApproveForm(forms.Form):
    card_number = forms.CharField(label=_("Card number"), max_length=40)
    expires_on = forms.DateField(label=_("Valid until"), widget=DATE_INPUT)

    def __init__(self, *args, patron: Patron, **kwargs):
        super().__init__(*args, **kwargs)
        self.patron = patron

    def clean_card_number(self):
        card = self.cleaned_data["card_number"].strip()
        taken = Patron.objects.filter(network=self.patron.network, card_number=card).exclude(
            pk=self.patron.pk
        )
        if taken.exists():
            raise forms.ValidationError(_("This card number is already used in the network."))
        return card

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The expiry date cannot be in the past."))
        return value


class RenewForm(forms.Form):
    expires_on = forms.DateField(label=_("Valid until"), widget=DATE_INPUT)

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The expiry date cannot be in the past."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, sent to the patron"), max_length=1000, widget=forms.Textarea({"rows": 3})
    )


class DocumentForm(forms.Form):
    message = forms.CharField(
        label=_("Which document, and how to send it"),
        max_length=1000,
        widget=forms.Textarea({"rows": 3}),
    )


class ChangeLibraryForm(forms.Form):
    library = LibraryChoiceField(label=_("New home library"), queryset=Library.objects.none())

    def __init__(self, *args, patron: Patron, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["library"].queryset = (
            patron.network.libraries.members()
            .exclude(pk=patron.home_library_id)
            .select_related("authority")
        )


class ImportForm(forms.Form):
    library = forms.ModelChoiceField(label=_("Library"), queryset=Library.objects.none())
    file = forms.FileField(
        label=_("Export of the library system (CSV or TSV)"),
        help_text=_(
            "Columns: card number, last name, first name, birth date, e-mail, end of "
            "subscription (library code optional). UTF-8 or Windows-1252."
        ),
    )

    def __init__(self, *args, libraries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["library"].queryset = libraries
        if libraries.count() == 1:
            self.fields["library"].initial = libraries.first()


class QueueFilterForm(forms.Form):
    """How the validation queue is sorted and narrowed (GET: a link keeps the view)."""

    SORTS = {
        "trial": ("trial_ends_on", "registered_at", "pk"),
        "registered": ("registered_at", "pk"),
        "name": ("search_text", "pk"),
        "library": ("home_library__name", "trial_ends_on", "pk"),
    }

    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("trial", _("end of the trial, soonest first")),
            ("registered", _("registration date, oldest first")),
            ("name", _("name")),
            ("library", _("library")),
        ],
    )
    library = forms.ModelChoiceField(
        label=_("Library"), required=False, queryset=None, empty_label=_("all my libraries")
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("every waiting registration")),
            (Patron.State.TRIAL, _("in trial")),
            (Patron.State.AWAITING, _("trial over, awaiting validation")),
        ],
    )

    def __init__(self, *args, libraries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["library"].queryset = libraries
        if libraries.count() < 2:
            del self.fields["library"]  # one library: nothing to choose

    def apply(self, patrons):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("library"):
            patrons = patrons.filter(home_library=data["library"])
        if data.get("state"):
            patrons = patrons.filter(state=data["state"])
        return patrons.order_by(*self.SORTS[data.get("sort") or "trial"])
