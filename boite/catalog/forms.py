"""The search form of the portal (GET), the harvest launch form of the staff area, and
the back-office form of a resource (its harvest secret is bound to its source)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from boite.catalog.categories import Category
from boite.catalog.models import Audience, HarvestRun, RecordType
from boite.catalog.search import SearchQuery
from boite.lib.crypto import SecretsFollowAddress

LANGUAGES = {
    "fre": _("French"),
    "eng": _("English"),
    "ger": _("German"),
    "spa": _("Spanish"),
    "ita": _("Italian"),
}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the catalogue"), max_length=200, required=False)
    category = forms.MultipleChoiceField(
        label=_("Category"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.MultipleChoiceField(
        label=_("Type"),
        choices=RecordType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    resource = forms.TypedMultipleChoiceField(
        label=_("Resource"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    audience = forms.MultipleChoiceField(
        label=_("Audience"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.MultipleChoiceField(
        label=_("Language"),
        choices=list(LANGUAGES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    year_min = forms.IntegerField(
        label=_("From year"), min_value=1000, max_value=2100, required=False
    )
    year_max = forms.IntegerField(
        label=_("To year"), min_value=1000, max_value=2100, required=False
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[("relevance", _("relevance")), ("newest", _("newest")), ("title", _("title"))],
        required=False,
    )
    page = forms.IntegerField(min_value=1, max_value=500, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, resources=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = [(r.pk, r.name) for r in resources]

    def clean(self):
        data = super().clean()
        low, high = data.get("year_min"), data.get("year_max")
        if low and high and low > high:
            self.add_error("year_max", _("The end year comes before the start year."))
        return data

    def to_query(self, resource_ids: list[int], per_page: int = 20) -> SearchQuery:
        data = self.cleaned_data
        return SearchQuery(
            text=data.get("q") or "",
            resource_ids=resource_ids,
            category=data.get("category") or [],
            kind=data.get("kind") or [],
            resource=data.get("resource") or [],
            audience=data.get("audience") or [],
            language=data.get("language") or [],
            year_min=data.get("year_min"),
            year_max=data.get("year_max"),
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
            per_page=per_page,
        )


class HarvestForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Harvest"),
        choices=HarvestRun.Mode.choices,
        initial=HarvestRun.Mode.FULL,
        widget=forms.RadioSelect,
    )
    force = forms.BooleanField(
        label=_("Withdraw the missing records even if they are more than 30 % of the catalogue"),
        required=False,
    )


class ResourceForm(SecretsFollowAddress, forms.ModelForm):
    """The resource's password or token is for its harvest source and account only.
    (The admin gives the model and the fields: `ResourceAdmin.fieldsets`.)"""

    address_fields = ("harvest_source", "harvest_username")
