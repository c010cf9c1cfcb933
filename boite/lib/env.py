"""Typed readers for environment variables.

Each reader fails loudly with the variable's name and what was expected, so that a
typo in a deployment stops the start-up with a clear message instead of running with
a silently wrong value.
"""

import os

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of {sorted(_TRUE | _FALSE - {''})}."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum {minimum}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list of IP networks in CIDR notation (10.0.0.0/8, ::1/128)."""
    import ipaddress

    values = env_list(name, default)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {value!r} is not an IP network.") from None
    return values


def env_int_list(name: str, default: list[int], *, minimum: int | None = None) -> list[int]:
    """A comma-separated list of whole numbers, none below `minimum`, at least one."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return list(default)
    values = []
    for item in (i.strip() for i in raw.split(",")):
        try:
            value = int(item)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: {item!r} is not a whole number (give e.g. 60,120,300)."
            ) from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}={raw!r}: {value} is below its minimum {minimum}.")
        values.append(value)
    return values


def env_choice(name: str, choices: list[str], default: str) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {choices}.")
    return value


def env_fernet_keys(name: str) -> list[str]:
    """A comma-separated list of Fernet keys (32 random bytes in URL-safe base64)."""
    keys = env_list(name)
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: key number {number} is not a Fernet key (32 bytes in URL-safe "
                "base64); `manage.py rotate_secrets --new-key` prints a new one."
            ) from None
    return keys
