"""Signed links: redirect the patron to the provider with their card number and hashes
of it keyed by a secret shared with the provider.

Every provider is a *recipe*, not a class: the URL to send the patron to and the list
of query parameters, each made of parts concatenated in order, optionally hashed.

    {"url": "https://provider.example/sso_login",
     "params": [
        {"name": "id", "parts": ["card_number"]},
        {"name": "id_encrypted", "parts": ["card_number", "key"], "hash": "sha256"},
        {"name": "d", "parts": ["date:YmdHi"]},
        {"name": "return_url", "parts": ["target"]}]}

A part is an identity attribute (`card_number`, `email`, `last_name`, `birth_year`…),
`key` (the shared secret), `target` (the record's URL at the provider), `date:<format>`
(the current time in Europe/Paris, formats in `DATE_FORMATS`) or `text:<literal>`.
`hash` is sha256, sha1 or md5; `encoding` is hex (default), HEX or base64. A parameter
that uses `key` must be hashed: the key never travels in clear.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from boite.access.connectors import ConnectorKind, HandoverError, register, same_origin
from boite.access.identity import ATTRIBUTES

logger = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
DATE_FORMATS = {
    "ddmmYYYY": "%d%m%Y",
    "YmdHi": "%Y%m%d%H%M",
    "YYYYmmdd": "%Y%m%d",
    "YYYY-mm-dd": "%Y-%m-%d",
}
HASHES = ("sha256", "sha1", "md5")
ENCODINGS = ("hex", "HEX", "base64")
_SPECIAL_PARTS = ("key", "target")


def _check_part(part) -> None:
    if not isinstance(part, str):
        raise forms.ValidationError(_("Each part must be a text."))
    if part in ATTRIBUTES or part in _SPECIAL_PARTS or part.startswith("text:"):
        return
    if part.startswith("date:") and part[5:] in DATE_FORMATS:
        return
    raise forms.ValidationError(
        _("Unknown part « %(part)s »: use a patron field, key, target, date:… or text:…."),
        params={"part": part},
    )


class ParamsField(forms.Field):
    """The list of query parameters of a recipe."""

    def to_python(self, value):
        if not isinstance(value, list) or not value:
            raise forms.ValidationError(_("Give the list of parameters to send."))
        params = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise forms.ValidationError(_("Each parameter needs a name and its parts."))
            parts = item.get("parts")
            if not isinstance(parts, list) or not parts:
                raise forms.ValidationError(
                    _("The parameter « %(name)s » has no parts."), params={"name": item["name"]}
                )
            for part in parts:
                _check_part(part)
            digest = item.get("hash") or ""
            if "key" in parts and not digest:
                # The link passes through the patron's browser, its history and the
                # provider's logs: the shared secret may only travel hashed.
                raise forms.ValidationError(
                    _(
                        "The parameter « %(name)s » would send the shared key in clear: "
                        "the key may only be used inside a hash."
                    ),
                    params={"name": item["name"]},
                )
            if digest and digest not in HASHES:
                raise forms.ValidationError(
                    _("Unknown hash « %(hash)s »: use sha256, sha1 or md5."),
                    params={"hash": digest},
                )
            encoding = item.get("encoding") or "hex"
            if encoding not in ENCODINGS:
                raise forms.ValidationError(
                    _("Unknown encoding « %(encoding)s »: use hex, HEX or base64."),
                    params={"encoding": encoding},
                )
            params.append(
                {"name": item["name"], "parts": parts, "hash": digest, "encoding": encoding}
            )
        return params


class SignedLinkSettings(forms.Form):
    url = forms.URLField(label=_("address of the provider's login page"), assume_scheme="https")
    params = ParamsField(label=_("parameters"))

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError(_("The address must start with https://."))
        return url


def _value(part: str, identity_values: dict, key: str, target: str, now: datetime) -> str:
    if part == "key":
        return key
    if part == "target":
        return target
    if part.startswith("text:"):
        return part[5:]
    if part.startswith("date:"):
        return now.strftime(DATE_FORMATS[part[5:]])
    return identity_values.get(part, "")


def _encode(digest: bytes, encoding: str) -> str:
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    return digest.hex().upper() if encoding == "HEX" else digest.hex()


# The attributes that identify the patron at the provider: a link that names one of them
# must carry it, or every patron without one would share a single account there.
IDENTIFIERS = ("card_number", "pseudonym")


def build_url(settings: dict, key: str, identity, target: str = "", now=None) -> str:
    """The provider URL for this patron, signed with `key`, at `now` (default: now).
    HandoverError when an identifier the recipe names is empty: nothing is signed."""
    now = (now or timezone.now()).astimezone(PARIS)
    values = identity.attributes()
    named = {part for param in settings["params"] for part in param["parts"]}
    missing = [name for name in IDENTIFIERS if name in named and not values.get(name)]
    if missing:
        logger.warning("signed link refused: empty identifier %s for %r", missing, identity)
        raise HandoverError(
            _("Your account has no identifier for this provider yet: ask your library %(library)s.")
            % {"library": identity.library_name or "—"}
        )
    query = parse_qsl(urlsplit(settings["url"]).query, keep_blank_values=True)
    for param in settings["params"]:
        if "target" in param["parts"] and not target:
            continue  # no record: the provider's home page
        text = "".join(_value(p, values, key, target, now) for p in param["parts"])
        if param.get("hash"):
            text = _encode(hashlib.new(param["hash"], text.encode()).digest(), param["encoding"])
        query.append((param["name"], text))
    scheme, netloc, path, _query, _fragment = urlsplit(settings["url"])
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


@register
class SignedLink(ConnectorKind):
    kind = "signed_link"
    label = _("signed link")
    settings_form = SignedLinkSettings
    secret_names = ("key",)

    def handover(self, connector, request, identity, target=""):
        settings = connector.settings
        if target and not same_origin(target, settings["url"]):
            raise HandoverError(_("This link does not lead to the provider's site."))
        uses_key = any("key" in p["parts"] for p in settings["params"])
        if uses_key and not connector.has_secret("key"):
            raise HandoverError(_("This resource is not ready yet: its secret key is missing."))
        response = HttpResponseRedirect(
            build_url(settings, connector.secret("key"), identity, target)
        )
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


def _param(name: str, *parts: str, hash: str = "") -> dict:
    return {"name": name, "parts": list(parts), "hash": hash, "encoding": "hex"}


def _mediatheque_numerique(url: str, sso_id: str = "SSO-ID") -> dict:
    return {
        "url": url,
        "params": [
            _param("sso_id", f"text:{sso_id}"),
            _param("id", "card_number"),
            _param("email", "email"),
            _param("nom", "last_name"),
            _param("prenom", "first_name"),
            _param("dnaiss", "birth_year"),
            _param("id_encrypted", "card_number", "key", hash="sha256"),
            _param("return_url", "target"),
        ],
    }


def _vodeclic(url: str) -> dict:
    return {
        "url": url,
        "params": [
            _param("id", "card_number"),
            _param("email", "email"),
            _param("encrypted_id", "card_number", "key", hash="sha256"),
            _param("encrypted_email", "email", "key", hash="sha256"),
            _param("d", "date:ddmmYYYY", "key", hash="sha256"),
        ],
    }


def _toutapprendre(url: str) -> dict:
    return {
        "url": url,
        "params": [
            _param("id", "card_number"),
            _param("d", "date:YmdHi"),
            _param("hash", "card_number", "date:YmdHi", "key", hash="md5"),
        ],
    }


# Presets for the providers of the field: (label, scheme, recipe). The addresses are
# the providers' usual ones; each contract gives the exact address and key.
PRESETS: dict[str, tuple[str, str, dict]] = {
    "mediatheque_numerique": (
        "Médiathèque Numérique",
        "mediatheque_numerique",
        _mediatheque_numerique("https://vod.mediatheque-numerique.com/sso_login"),
    ),
    "vodeclic": ("Vodeclic", "vodeclic", _vodeclic("https://lms.vodeclic.com/auth/biblio/sso")),
    "toutapprendre": (
        "Toutapprendre",
        "toutapprendre",
        _toutapprendre("https://www.toutapprendre.com/bibliotheque/sso"),
    ),
    "cafeyn": ("Cafeyn", "vodeclic", _vodeclic("https://www.cafeyn.co/fr/sso/bibliotheque")),
    "skilleos": ("Skilleos", "toutapprendre", _toutapprendre("https://www.skilleos.com/sso")),
    "philharmonie": (
        "Philharmonie de Paris — Muniki",
        "mediatheque_numerique",
        _mediatheque_numerique("https://www.muniki.fr/sso_login"),
    ),
    "digame": ("diGame", "toutapprendre", _toutapprendre("https://www.digame.fr/sso")),
    "ma_petite_mediatheque": (
        "Ma Petite Médiathèque",
        "mediatheque_numerique",
        _mediatheque_numerique("https://www.mapetitemediatheque.fr/sso_login"),
    ),
}


def preset(name: str, url: str | None = None) -> dict:
    """A copy of a preset's recipe, optionally pointing at another address."""
    import copy

    recipe = copy.deepcopy(PRESETS[name][2])
    if url:
        recipe["url"] = url
    return recipe
