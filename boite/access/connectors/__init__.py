"""Connector kinds: one module each, one interface, one registry.

A kind is a subclass of `ConnectorKind` registered with `@register`. It declares
- `settings_form`: a Django form that is the schema of its settings (JSON on the
  Connector), so that every kind's settings are validated with clear, translated
  messages;
- `secret_names`: the secrets it needs (stored apart from the settings, never shown);
- `handover(connector, request, identity, target)`: the HTTP response that takes the
  patron into the provider, already recognised.

Adding a kind is one new module in this package and one line in `_MODULES`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from boite.access.identity import Identity
    from boite.access.models import Connector

_MODULES = ("signed_link", "cas", "oidc", "open_link")
_REGISTRY: dict[str, type[ConnectorKind]] = {}


class HandoverError(Exception):
    """The connector cannot hand this patron over (bad target, missing secret…).

    The message is translated and safe to show: it never holds a secret.
    """


class ConnectorKind:
    kind: ClassVar[str]
    label: ClassVar[str]
    settings_form: ClassVar[type[forms.Form]] = forms.Form
    secret_names: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def validate_settings(cls, settings: dict) -> tuple[dict, dict[str, list[str]]]:
        """Cleaned settings and errors by field, through the kind's settings form."""
        if not isinstance(settings, dict):
            return {}, {"settings": [str(_("The settings must be a JSON object."))]}
        form = cls.settings_form(data=settings)
        if form.is_valid():
            return form.cleaned_data, {}
        return {}, {name: [str(e) for e in errors] for name, errors in form.errors.items()}

    def handover(
        self, connector: Connector, request: HttpRequest, identity: Identity, target: str = ""
    ) -> HttpResponse:
        raise NotImplementedError

    def saved(self, connector: Connector, changed_secrets: set[str]) -> None:
        """Called after the connector is saved (e.g. to keep an OAuth client in step)."""

    def target_or_home(self, connector: Connector, target: str) -> str:
        """The target when it is on the provider's configured origin, else an error."""
        home = connector.settings["url"]
        if not target:
            return home
        if not same_origin(target, home):
            raise HandoverError(_("This link does not lead to the provider's site."))
        return target


def register(cls: type[ConnectorKind]) -> type[ConnectorKind]:
    _REGISTRY[cls.kind] = cls
    return cls


def _load() -> None:
    # Importing a module registers its kind; import_module is a no-op the second time.
    for name in _MODULES:
        import_module(f"{__name__}.{name}")


def get_kind(kind: str) -> ConnectorKind:
    _load()
    return _REGISTRY[kind]()


def kind_choices() -> list[tuple[str, str]]:
    _load()
    return [(k, cls.label) for k, cls in _REGISTRY.items()]


def all_secret_names() -> list[str]:
    _load()
    names: list[str] = []
    for cls in _REGISTRY.values():
        names += [n for n in cls.secret_names if n not in names]
    return names


class JSONListField(forms.Field):
    """A list of strings in a kind's settings (JSON array)."""

    def __init__(self, *, item_field: forms.Field | None = None, **kwargs) -> None:
        self.item_field = item_field or forms.CharField()
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise forms.ValidationError(_("Enter a list."), code="invalid")
        return [self.item_field.clean(item) for item in value]


def same_origin(url: str, reference: str) -> bool:
    """True when `url` has the scheme and host (and port) of `reference`."""
    from urllib.parse import urlsplit

    a, b = urlsplit(url), urlsplit(reference)
    return bool(a.scheme and a.netloc) and (a.scheme, a.netloc) == (b.scheme, b.netloc)
