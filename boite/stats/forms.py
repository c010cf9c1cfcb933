from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.stats.counter import ReportError, read_report
from boite.stats.models import ProviderAccount

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(text: str) -> date:
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise forms.ValidationError(_("Enter a month as YYYY-MM."))
    return date(int(match.group(1)), int(match.group(2)), 1)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        return _month(value.strip()) if value else None


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, the current one included."""
    today = today or timezone.localdate()
    last = today.replace(day=1)
    index = last.year * 12 + last.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1), last


class _TiedErrorsForm(forms.Form):
    """Ties each field's error message to its input (aria-describedby, RGAA 11.10)."""

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                described = [f"{bound.auto_id}-error"]
                if self.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(described)
                self.fields[name].widget.attrs["aria-invalid"] = "true"


class DashboardForm(_TiedErrorsForm):
    """The period and network pickers (a GET form: the figures' URL can be shared)."""

    network = forms.ChoiceField(label=_("Network"), required=False)
    start = MonthField(label=_("From (month)"), required=False)
    end = MonthField(label=_("To (month, included)"), required=False)

    def __init__(self, *args, networks=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.networks = {n.slug: n for n in networks}
        choices = [(slug, n.name) for slug, n in self.networks.items()]
        if len(choices) > 1:
            choices.insert(0, ("", _("All my networks")))
        self.fields["network"].choices = choices

    def clean(self):
        data = super().clean()
        first, last = default_period()
        start, end = data.get("start") or first, data.get("end") or last
        if start > end:
            self.add_error("end", _("The last month comes before the first one."))
        elif (end.year - start.year) * 12 + end.month - start.month >= 36:
            self.add_error("end", _("Choose a period of at most three years."))
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_period()

    def picked_network(self):
        if self.is_valid() and self.cleaned_data.get("network"):
            return self.networks[self.cleaned_data["network"]]
        if len(self.networks) == 1:
            return next(iter(self.networks.values()))
        return None


class ReportUploadForm(_TiedErrorsForm):
    account = forms.ModelChoiceField(
        label=_("Provider"), queryset=ProviderAccount.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("Report file"),
        help_text=_(
            "COUNTER 5 or 5.1 report (JSON or TSV), or a CSV with the columns "
            "month, item, metric, count."
        ),
    )
    replace = forms.BooleanField(
        label=_("Replace the reports that cover the same months"),
        required=False,
    )

    def __init__(self, *args, accounts=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        data = upload.read()
        try:
            self.parsed = read_report(data, upload.name)
        except ReportError as error:
            raise forms.ValidationError(str(error)) from None
        return upload
