"""Forms of the finance pages; each is built for one user, whose choices it scopes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from boite.finance import access
from boite.finance.models import (
    Agreement,
    Amendment,
    Campaign,
    Contract,
    Membership,
    SharingKey,
    default_shares,
)
from boite.networks.models import Authority, Network


class AccessibleErrors:
    """Ties each field's errors to its input (aria-describedby, aria-invalid), as the
    RGAA asks; templates/finance/_field.html prints the error list with that id."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                attrs = self.fields[name].widget.attrs
                described = [f"{bound.auto_id}-errors"]
                if self.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")
                attrs["aria-describedby"] = " ".join(described)
                attrs["aria-invalid"] = "true"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CampaignForm(AccessibleErrors, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["network", "year", "reference_year", "rate", "due_date"]
        widgets = {"due_date": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = access.scope(user, Network.objects.all(), "pk")


class WhatIfForm(AccessibleErrors, forms.Form):
    rate = forms.DecimalField(
        label=_("Rate per inhabitant to try (€)"),
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=4,
    )


class StateForm(AccessibleErrors, forms.Form):
    state = forms.ChoiceField(label=_("New state"), choices=Membership.State.choices)
    on = forms.DateField(label=_("On"), widget=DateInput(), required=False)


class AgreementForm(AccessibleErrors, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.CharField(label=_("Object"), widget=forms.Textarea(attrs={"rows": 3}))
    parties = forms.ModelMultipleChoiceField(
        label=_("Parties"),
        queryset=Authority.objects.exclude(kind=Authority.Kind.COMMUNE),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The first cost-sharing key splits the costs equally (50/50)."),
    )
    start = forms.DateField(label=_("Start"), widget=DateInput())
    end = forms.DateField(label=_("End"), widget=DateInput())
    document = forms.FileField(
        label=_("Signed agreement"),
        required=False,
        validators=Agreement._meta.get_field("document").validators,
        help_text=Agreement._meta.get_field("document").help_text,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        networks = Network.objects.filter(partner__in=data["parties"])
        if not access.scope(self.user, networks, "pk").exists():
            self.add_error("parties", _("One party must be the partner authority of your network."))
            return data
        try:
            default_shares(data["parties"])
            Agreement.check_period(data["parties"], data["start"], data["end"])
        except ValidationError as error:
            self.add_error(None, error)
        return data

    def save(self) -> Agreement:
        data = self.cleaned_data
        return Agreement.create(
            title=data["title"],
            purpose=data["purpose"],
            parties=list(data["parties"]),
            start=data["start"],
            end=data["end"],
            document=data.get("document"),
        )


class AmendmentForm(AccessibleErrors, forms.ModelForm):
    class Meta:
        model = Amendment
        fields = ["year", "financial_terms", "budget", "signed_on", "document"]
        widgets = {"signed_on": DateInput(), "financial_terms": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.agreement = agreement

    def clean_year(self) -> int:
        # The form has no agreement field, so Django skips the (agreement, year) constraint.
        year = self.cleaned_data["year"]
        if self.instance.agreement.amendments.filter(year=year).exclude(pk=self.instance.pk):
            raise ValidationError(_("This agreement already has an amendment for that year."))
        return year


class SharingKeyForm(AccessibleErrors, forms.Form):
    """A new key: the day it comes into force and one share per party."""

    valid_from = forms.DateField(label=_("In force from"), widget=DateInput())
    amendment = forms.ModelChoiceField(
        label=_("Set by the amendment"), queryset=Amendment.objects.none(), required=False
    )

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.parties = list(agreement.parties.order_by("name"))
        self.fields["amendment"].queryset = agreement.amendments.all()
        for party in self.parties:
            self.fields[f"share_{party.pk}"] = forms.DecimalField(
                label=_("Share of %(party)s (%%)") % {"party": party.name},
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                decimal_places=2,
            )

    def share_fields(self):
        return [self[f"share_{p.pk}"] for p in self.parties]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        shares = {p: data[f"share_{p.pk}"] for p in self.parties}
        total = sum(shares.values(), Decimal("0"))
        if total != Decimal("100"):
            raise ValidationError(
                _("The shares add up to %(total)s %%; they must add up to exactly 100 %%.")
                % {"total": total.normalize()}
            )
        data["shares"] = shares
        return data

    def save(self) -> SharingKey:
        data = self.cleaned_data
        return SharingKey.create(
            self.agreement, data["valid_from"], data["shares"], data.get("amendment")
        )


class ContractForm(AccessibleErrors, forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "year",
            "resource",
            "offer",
            "supplier",
            "reference",
            "procurement",
            "start",
            "end",
            "yearly_cost",
            "ordering_party",
            "agreement",
        ]
        widgets = {"start": DateInput(), "end": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        agreements = access.scoped(user, Agreement)
        self.fields["agreement"].queryset = agreements
        self.fields["ordering_party"].queryset = Authority.objects.filter(
            agreements__in=agreements
        ).distinct()
