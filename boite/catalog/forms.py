"""The search form of the portal (GET), the harvest launch form of the staff area, and
the back-office form of a resource (where a harvest source is chosen, and its secret is
bound to it)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from boite.catalog.categories import Category
from boite.catalog.harvest.base import SourceError
from boite.catalog.harvest.sources import drop_files, resolve_drop_file, superuser_only_message
from boite.catalog.models import Audience, HarvestRun, RecordType, Resource
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


class _StoredFile:
    """A stored file as ClearableFileInput shows it: its name, linked to a staff view."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name.split("/")[-1]


class HarvestFileInput(forms.ClearableFileInput):
    """The resource's uploaded source: private storage gives it no public address, so the
    « Currently » line links to the staff view that sends it (`catalog:resource_source`)."""

    def __init__(self, url: str = "", attrs=None) -> None:
        super().__init__(attrs)
        self.url = url

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", ""))

    def format_value(self, value):
        if self.is_initial(value):
            return _StoredFile(value.name, self.url)
        return None


class ResourceAdminForm(SecretsFollowAddress, forms.ModelForm):
    """The resource as the back office edits it. Its source is an http(s) address (the
    model refuses anything else), an uploaded file, or a file of the drop directory: the
    drop directory's files are listed to superusers only, and only they may choose one —
    the name is resolved inside the directory, never taken as a path. Its password or
    token is for its harvest source and account only: changing them clears it unless it
    is typed again."""

    address_fields = ("harvest_source", "harvest_username")

    superuser = False  # set per request by the admin (`ResourceAdmin.get_form`)

    class Meta:
        model = Resource
        # The admin builds the form with the fields of its fieldsets; these are the ones
        # this form looks after.
        fields = ["harvest_source", "harvest_file", "harvest_drop_file"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        upload = self.fields.get("harvest_file")
        if upload is not None:
            url = ""
            if self.instance.pk and self.instance.harvest_file:
                url = reverse("catalog:resource_source", args=[self.instance.slug])
            upload.widget = HarvestFileInput(url)
        field = self.fields.get("harvest_drop_file")
        if field is not None:
            current = self.instance.harvest_drop_file
            names = drop_files() if self.superuser else []
            if current and current not in names:
                names = [current, *names]
            field.widget = forms.Select(choices=[("", "—"), *((n, n) for n in names)])

    def clean_harvest_drop_file(self) -> str:
        name = (self.cleaned_data.get("harvest_drop_file") or "").strip()
        if not name or (self.instance.pk and name == self.instance.harvest_drop_file):
            return name  # none, or the one a superuser chose before: unchanged
        if not self.superuser:
            raise ValidationError(superuser_only_message(), code="superuser_only")
        try:
            resolve_drop_file(name)
        except SourceError as error:
            raise ValidationError(str(error), code="drop_file") from None
        return name


# The admin's form (`ResourceAdmin.get_form` sets who is asking).
ResourceForm = ResourceAdminForm
