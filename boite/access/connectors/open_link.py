"""Open link: free resources, reached without any identification."""

from __future__ import annotations

from django import forms
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from boite.access.connectors import ConnectorKind, register


class OpenLinkSettings(forms.Form):
    url = forms.URLField(label=_("address of the resource"), assume_scheme="https")


@register
class OpenLink(ConnectorKind):
    kind = "open_link"
    label = _("open link (free resource)")
    settings_form = OpenLinkSettings

    def handover(self, connector, request, identity, target=""):
        return HttpResponseRedirect(self.target_or_home(connector, target))
