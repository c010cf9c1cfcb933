from django import forms
from django.utils.translation import gettext_lazy as _

from boite.lending.models import Licence


class LicenceFilterForm(forms.Form):
    q = forms.CharField(label=_("Title or EAN"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("all")), *Licence.State.choices]
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("all")), *Licence.Format.choices]
    )
    expiring = forms.BooleanField(label=_("Expiring within 3 months"), required=False)

    def full_clean(self) -> None:
        super().full_clean()
        # Tie each error to its field for screen readers (the template writes the error
        # in an element whose id is « <field id>-error »).
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def filter(self, licences):
        if not self.is_valid():
            return licences
        data = self.cleaned_data
        if data["q"]:
            text = data["q"].strip().replace("-", "")
            licences = (
                licences.filter(ean=text)
                if text.isdigit()
                else licences.filter(title__icontains=data["q"].strip())
            )
        if data["state"]:
            licences = licences.filter(state=data["state"])
        if data["format"]:
            licences = licences.filter(format=data["format"])
        if data["expiring"]:
            licences = licences.expiring_within()
        return licences


class BorrowForm(forms.Form):
    """The loan length and the patron's LCP passphrase: typed for each loan, never stored."""

    days = forms.TypedChoiceField(label=_("Loan length"), coerce=int)
    passphrase = forms.CharField(
        label=_("Reading passphrase"),
        min_length=6,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "You will type it in your reading app to open the book. It is sent protected to "
            "the distributor and never kept by the portal. At least 6 characters."
        ),
    )
    hint = forms.CharField(
        label=_("Passphrase hint"),
        max_length=200,
        help_text=_(
            "Shown by the reading app when it asks for the passphrase. Not the passphrase itself."
        ),
    )

    def __init__(self, *args, max_days: int = 21, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        steps = sorted({d for d in (7, 14, 21, 30, 45, 60, 90) if d < max_days} | {max_days})
        self.fields["days"].choices = [(d, _("%(days)s days") % {"days": d}) for d in steps]
        self.fields["days"].initial = max_days
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def clean(self):
        data = super().clean()
        passphrase, hint = data.get("passphrase"), data.get("hint")
        if passphrase and hint and passphrase.strip().lower() in hint.lower():
            self.add_error("hint", _("The hint must not contain the passphrase."))
        return data


class ExtendForm(forms.Form):
    loan = forms.UUIDField(widget=forms.HiddenInput)
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=90, initial=7)
