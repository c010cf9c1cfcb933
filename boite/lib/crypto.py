"""Secrets at rest: the passwords and keys the portal must send to others, encrypted.

The portal cannot hash these (it has to send them to the ILS, a harvest source, a
distributor or a provider), so it encrypts them with Fernet (AES-128-CBC + HMAC-SHA256,
from the `cryptography` package) before they reach the database.

Keys: `BOITE_SECRET_KEYS`, a comma-separated list of Fernet keys, newest first. The
first encrypts; every key decrypts (MultiFernet), so a new key is put in front, then
`manage.py rotate_secrets` re-encrypts every value with it, then the old key may go.
Without `BOITE_SECRET_KEYS` (a developer's checkout), the key is derived from
SECRET_KEY with HKDF-SHA256 so that `make run` works with no setup; the derived keys of
SECRET_KEY and SECRET_KEY_FALLBACKS also always decrypt, so a site that started
without dedicated keys moves to them by setting the variable and rotating.
`manage.py check --deploy` warns when production has no dedicated key (boite.W001).

Models declare `EncryptedTextField` (a string) or `EncryptedJSONField` (a dict): the
model attribute holds the clear value, the column only the Fernet token ("" stays ""
so that « not set » is still a plain query). The form field of a secret is write-only:
it never renders the value, shows only whether one is set, keeps it when left empty
and clears it when its box is ticked. Each encrypted field also gives its model a
`<name>_state` property, « défini » or « non défini », which the admin shows on
read-only pages instead of the value (boite.networks.scoped_admin).

Lookups compare tokens, so only « is it set » (`field=""`) makes sense in a query.
`manage.py dumpdata` writes the clear values (loaddata must read them back): a dump is
as secret as the keys; a database backup (pg_dump) holds only tokens.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core import checks, validators
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

_HKDF_SALT = b"boite.lib.crypto"
_HKDF_INFO = b"encryption of secrets at rest"


class UnknownKey(ImproperlyConfigured):
    """A value in the database was encrypted with a key the settings no longer hold."""


def derive_key(secret_key: str) -> bytes:
    """The Fernet key derived from a Django SECRET_KEY (development default)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


def new_key() -> str:
    """A fresh random Fernet key, for BOITE_SECRET_KEYS."""
    return Fernet.generate_key().decode("ascii")


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...], secret_keys: tuple[str, ...]) -> MultiFernet:
    # The keys were checked when the settings were read (boite.lib.env.env_fernet_keys).
    fernets = [Fernet(key) for key in keys]
    fernets += [Fernet(derive_key(secret)) for secret in secret_keys if secret]
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    return _multi_fernet(
        tuple(settings.BOITE_SECRET_KEYS),
        (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])),
    )


def encrypt(text: str) -> str:
    """A Fernet token of `text` with the newest key ("" stays "")."""
    if not text:
        return ""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The clear text of a token; UnknownKey when no configured key opens it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise UnknownKey(
            "A secret in the database cannot be decrypted with the keys of BOITE_SECRET_KEYS "
            "(nor the key derived from SECRET_KEY): put back the key it was encrypted with."
        ) from None


# -- model fields -------------------------------------------------------------------------


class _EncryptedField(models.Field):
    """The column is text holding a Fernet token; the attribute holds the clear value."""

    description = _("Encrypted secret")

    def get_internal_type(self) -> str:
        return "TextField"

    def contribute_to_class(self, cls, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        attname = self.attname

        def state(obj) -> str:
            if getattr(obj, attname):
                return pgettext("secret", "set")
            return pgettext("secret", "not set")

        state.short_description = self.verbose_name
        setattr(cls, f"{name}_state", property(state))

    def _to_text(self, value: Any) -> str:
        raise NotImplementedError

    def _from_text(self, text: str) -> Any:
        raise NotImplementedError

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(self._to_text(value))

    def from_db_value(self, value: str | None, expression, connection) -> Any:
        if value is None:
            return value
        return self._from_text(decrypt(value))


class EncryptedTextField(_EncryptedField):
    """A secret string (a password, a token), encrypted at rest and write-only in forms."""

    empty_strings_allowed = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            # The length of the clear value (the column is text: tokens are longer).
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def to_python(self, value: Any) -> str:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def _to_text(self, value: Any) -> str:
        return self.to_python(value) or ""

    def _from_text(self, text: str) -> str:
        return text

    def formfield(self, **kwargs) -> forms.Field:
        kwargs.pop("widget", None)
        return super().formfield(
            **{"form_class": SecretField, "max_length": self.max_length, **kwargs}
        )

    def save_form_data(self, instance, data: Any) -> None:
        if isinstance(data, SecretChange):
            if data.clear:
                setattr(instance, self.attname, "")
            elif data.value:
                setattr(instance, self.attname, data.value)
            return
        super().save_form_data(instance, data)


class EncryptedJSONField(_EncryptedField):
    """A dict of secrets (a connector's keys), encrypted at rest as one JSON text."""

    empty_strings_allowed = False

    def to_python(self, value: Any) -> dict:
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def _to_text(self, value: Any) -> str:
        return json.dumps(value, sort_keys=True) if value else ""

    def _from_text(self, text: str) -> dict:
        return json.loads(text) if text else {}


def copy_column(app_label: str, model_name: str, source: str, target: str):
    """For a migration's RunPython: copy each non-empty value of `source` into `target`
    (a clear column into its encrypted twin, or back for a rollback)."""

    def copy(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        rows = model.objects.using(schema_editor.connection.alias)
        for pk, value in rows.values_list("pk", source):
            if value:
                rows.filter(pk=pk).update(**{target: value})

    return copy


def secret_fields(model) -> list[_EncryptedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, _EncryptedField)]


def re_encrypt(model) -> int:
    """Encrypt every secret of a model's rows again with the newest key (rotation); the
    number of rows written. Raises UnknownKey, writing nothing, if a key is missing."""
    names = [f.name for f in secret_fields(model)]
    if not names:
        return 0
    rows = model._base_manager.all()
    written = 0
    with transaction.atomic(using=rows.db):
        for pk, *values in list(rows.order_by("pk").values_list("pk", *names)):
            changed = {name: value for name, value in zip(names, values, strict=True) if value}
            if changed:
                # update(), not save(): no signal, no auto_now, nothing else rewritten.
                rows.filter(pk=pk).update(**changed)
                written += 1
    return written


# -- the write-only form field ------------------------------------------------------------


@dataclass(frozen=True)
class SecretChange:
    """What a secret's form asks: a new value, clear it, or (neither) keep it."""

    value: str = ""
    clear: bool = False


class SecretInput(forms.Widget):
    """A password box that never carries the value, the state of the secret, and a box
    to clear it when one is set. It receives only True/False (SecretField.prepare_value)."""

    def value_from_datadict(self, data, files, name: str) -> SecretChange:
        return SecretChange(
            value=data.get(name) or "",
            clear=data.get(f"{name}_clear") in ("on", "true", "1"),
        )

    def value_omitted_from_data(self, data, files, name: str) -> bool:
        return name not in data and f"{name}_clear" not in data

    def render(self, name: str, value: Any, attrs=None, renderer=None) -> str:
        attrs = self.build_attrs(self.attrs, attrs)
        element_id = attrs.get("id") or f"id_{name}"
        is_set = value is True
        state = _("A secret is set.") if is_set else _("No secret is set.")
        clear = ""
        if is_set:
            clear = format_html(
                '<label for="{0}_clear" class="vCheckboxLabel secret-clear">'
                '<input type="checkbox" name="{1}_clear" id="{0}_clear"> {2}</label>',
                element_id,
                name,
                _("Clear the secret"),
            )
        return format_html(
            '<div class="secret-input">'
            '<input type="password" name="{3}" id="{0}" value="" autocomplete="new-password"'
            ' aria-describedby="{0}_state"{4}>{5}'
            '<p id="{0}_state" class="help secret-state">{1} {2}</p></div>',
            element_id,
            state,
            _("Type a new value to replace it; leave empty to keep it."),
            name,
            format_html(' maxlength="{}"', attrs["maxlength"]) if attrs.get("maxlength") else "",
            clear,
        )


class SecretField(forms.Field):
    """Write-only: the form's initial value (the clear secret) never reaches the widget."""

    widget = SecretInput
    default_error_messages = {
        "both": _("Either type a new secret or clear it, not both."),
    }

    def __init__(self, *, max_length: int | None = None, **kwargs) -> None:
        kwargs["required"] = False  # empty means « unchanged »
        kwargs["show_hidden_initial"] = False
        kwargs.pop("initial", None)
        self.max_length = max_length
        super().__init__(**kwargs)

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        if self.max_length is not None:
            attrs["maxlength"] = str(self.max_length)
        return attrs

    def to_python(self, value: Any) -> SecretChange:
        if isinstance(value, SecretChange):
            return value
        return SecretChange(value=value or "") if isinstance(value, str) else SecretChange()

    def validate(self, value: SecretChange) -> None:
        if value.value and value.clear:
            raise ValidationError(self.error_messages["both"], code="both")
        if self.max_length is not None:
            validators.MaxLengthValidator(self.max_length)(value.value)  # Django's message

    def bound_data(self, data: Any, initial: Any) -> Any:
        return initial  # a form shown again after an error does not echo what was typed

    def prepare_value(self, value: Any) -> bool:
        return bool(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        change = self.to_python(data)
        return bool(change.value) or (change.clear and bool(initial))


# -- secrets bound to where they go --------------------------------------------------------


class SecretsFollowAddress:
    """ModelForm mixin: a stored secret belongs to the address it is sent to.

    When a saved object's address (`address_fields`: a URL, a host, an account) changes
    while a secret is stored and the form neither retypes it nor ticks its « clear » box,
    the form refuses: otherwise whoever may edit the address (a network administrator
    of the other network, for a shared thing) would point it at a server of their own
    and receive the secret. Retyped, the new secret is kept; cleared, it is emptied.

    The secrets are the form's `SecretField`s; a form whose secrets are other fields
    (the connector form) overrides `bound_secrets` and `address_changed`."""

    address_fields: tuple[str, ...] = ()

    def address_changed(self) -> bool:
        if self.instance._state.adding:
            return False
        return any(name in self.changed_data for name in self.address_fields)

    def bound_secrets(self) -> list[tuple[str, bool, SecretChange, str]]:
        """(field name for the error, is one stored, what the form asks, clear label)."""
        found = []
        for name, field in self.fields.items():
            if isinstance(field, SecretField):
                change = self.cleaned_data.get(name) or SecretChange()
                stored = bool(getattr(self.instance, name, ""))
                found.append((name, stored, change, str(_("Clear the secret"))))
        return found

    def check_bound_secrets(self) -> None:
        if not self.address_changed():
            return
        for name, stored, change, clear_label in self.bound_secrets():
            if stored and not change.value and not change.clear:
                self.add_error(
                    name,
                    ValidationError(
                        _(
                            "The address has changed: the stored secret will be cleared. "
                            "Type it again or tick « %(clear)s »."
                        ),
                        code="address_changed",
                        params={"clear": clear_label},
                    ),
                )

    def clean(self):
        cleaned = super().clean()
        self.check_bound_secrets()
        return cleaned


# -- deployment check -----------------------------------------------------------------------


@checks.register(checks.Tags.security, deploy=True)
def check_dedicated_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.BOITE_SECRET_KEYS:
        return []
    return [
        checks.Warning(
            "BOITE_SECRET_KEYS is not set: the secrets stored in the database are encrypted "
            "with a key derived from SECRET_KEY.",
            hint=(
                "Set BOITE_SECRET_KEYS to a key of its own (`manage.py rotate_secrets "
                "--new-key`), then run `manage.py rotate_secrets`: see docs/deployment.md."
            ),
            id="boite.W001",
        )
    ]
