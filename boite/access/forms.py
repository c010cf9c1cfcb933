"""The back-office form of a connector: secrets are write-only."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from boite.access import connectors
from boite.access.connectors.signed_link import PRESETS, preset
from boite.access.models import Connector
from boite.lib.crypto import SecretChange, SecretsFollowAddress

SECRET_LABELS = {
    "key": _("shared secret key"),
    "client_secret": _("OpenID Connect client secret"),
}


# The settings that say where a connector's secrets go (the provider's pages and the
# addresses it may send patrons back to): changing one clears the stored secrets.
ADDRESS_SETTINGS = ("url", "redirect_uris", "services")


class _ConnectorFormBase(SecretsFollowAddress, forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=())
    preset = forms.ChoiceField(
        label=_("signed-link preset"),
        required=False,
        help_text=_("Fills the settings of a signed link with a provider's usual recipe."),
    )

    class Meta:
        model = Connector
        fields = [
            "network",
            "resource",
            "name",
            "kind",
            "is_active",
            "requires_card",
            "preset",
            "settings",
        ]
        help_texts = {
            "settings": _("JSON settings of the kind: see the connectors guide."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = connectors.kind_choices()
        self.fields["preset"].choices = [("", "—")] + [(k, v[0]) for k, v in PRESETS.items()]
        self.fields["settings"].required = False
        for name in connectors.all_secret_names():
            is_set = bool(self.instance.pk) and self.instance.has_secret(name)
            state = _("A secret is set.") if is_set else _("No secret is set.")
            self.fields[f"secret_{name}"].help_text = _(
                "%(state)s Type a new value to replace it; it will not be shown again."
            ) % {"state": state}

    def clean(self) -> dict:
        chosen = self.cleaned_data.get("preset")
        if chosen and self.cleaned_data.get("kind") == "signed_link":
            # Before the secrets' check (in super().clean()): a preset is a new address.
            self.cleaned_data["settings"] = preset(chosen)
        cleaned = super().clean()
        if chosen:
            if cleaned.get("kind") != "signed_link":
                self.add_error("preset", _("A preset only applies to a signed link."))
            else:
                self.instance.settings = cleaned["settings"]
        for name in connectors.all_secret_names():
            if cleaned.get(f"secret_{name}") and cleaned.get(f"clear_{name}"):
                self.add_error(
                    f"clear_{name}", _("Either type a new secret or clear it, not both.")
                )
        return cleaned

    def address_changed(self) -> bool:
        if self.instance._state.adding or "settings" not in self.cleaned_data:
            return False
        before, after = self.instance.settings or {}, self.cleaned_data["settings"] or {}
        return self.cleaned_data.get("kind") != self.instance.kind or any(
            before.get(name) != after.get(name) for name in ADDRESS_SETTINGS
        )

    def bound_secrets(self) -> list[tuple[str, bool, SecretChange, str]]:
        return [
            (
                f"secret_{name}",
                self.instance.has_secret(name),
                SecretChange(
                    value=self.cleaned_data.get(f"secret_{name}") or "",
                    clear=bool(self.cleaned_data.get(f"clear_{name}")),
                ),
                str(self.fields[f"clear_{name}"].label),
            )
            for name in connectors.all_secret_names()
        ]

    def _post_clean(self) -> None:
        if self.cleaned_data.get("settings") is None:
            self.cleaned_data["settings"] = {}
        super()._post_clean()

    def save(self, commit: bool = True) -> Connector:
        connector = super().save(commit=False)
        for name in connectors.all_secret_names():
            value = self.cleaned_data.get(f"secret_{name}")
            if value:
                connector.set_secret(name, value)
            elif self.cleaned_data.get(f"clear_{name}"):
                connector.set_secret(name, "")
        if commit:
            connector.save()
        return connector


def _secret_fields() -> dict[str, forms.Field]:
    """A write-only field and a « clear » box for each secret any kind needs."""
    fields: dict[str, forms.Field] = {}
    for name in connectors.all_secret_names():
        label = SECRET_LABELS.get(name, name)
        fields[f"secret_{name}"] = forms.CharField(
            label=label,
            required=False,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        )
        fields[f"clear_{name}"] = forms.BooleanField(
            label=format_lazy(_("Clear: {secret}"), secret=label), required=False
        )
    return fields


ConnectorForm = type("ConnectorForm", (_ConnectorFormBase,), _secret_fields())
