"""CAS: the portal is the identity provider (views in boite.access.cas_views).

Handing over sends the patron to the provider's entry page; the provider then sends
them to /cas/login?service=…, where a service ticket is issued if the service URL is
whitelisted in `services`. The provider validates the ticket on /cas/serviceValidate
(or /cas/p3/serviceValidate) and receives the `attributes` chosen here.
"""

from __future__ import annotations

from django import forms
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from boite.access.connectors import ConnectorKind, JSONListField, register
from boite.access.identity import ATTRIBUTES


class AttributesField(JSONListField):
    def to_python(self, value):
        names = super().to_python(value)
        unknown = [n for n in names if n not in ATTRIBUTES]
        if unknown:
            raise forms.ValidationError(
                _("Unknown attributes: %(names)s. Choose among: %(known)s."),
                params={"names": ", ".join(unknown), "known": ", ".join(ATTRIBUTES)},
            )
        return names


class CasSettings(forms.Form):
    url = forms.URLField(label=_("address of the provider's entry page"), assume_scheme="https")
    services = JSONListField(
        label=_("allowed service addresses"),
        item_field=forms.URLField(assume_scheme="https"),
        required=True,
    )
    attributes = AttributesField(label=_("attributes sent to the provider"))


@register
class Cas(ConnectorKind):
    kind = "cas"
    label = _("CAS (the portal identifies the patron)")
    settings_form = CasSettings

    def handover(self, connector, request, identity, target=""):
        return HttpResponseRedirect(self.target_or_home(connector, target))
