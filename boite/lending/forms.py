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
