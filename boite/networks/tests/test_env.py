import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from boite.lib.env import env_bool, env_choice, env_int, env_list

ROOT = Path(__file__).resolve().parents[3]
# Set by the browser tests for their own process only.
_NOT_INHERITED = (
    "DATABASE_URL",
    "SECRET_KEY",
    "BOITE_SECRET_KEYS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def test_booleans_accept_the_usual_words(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


@pytest.mark.parametrize(
    ("reader", "value"),
    [(lambda: env_bool("BAD"), "peut-être"), (lambda: env_int("BAD", 1), "douze")],
)
def test_a_wrong_value_fails_loudly_with_its_name(monkeypatch, reader, value):
    monkeypatch.setenv("BAD", value)
    with pytest.raises(ImproperlyConfigured, match="BAD"):
        reader()


def test_integers_respect_their_minimum(monkeypatch):
    monkeypatch.setenv("WORKERS", "0")
    with pytest.raises(ImproperlyConfigured, match="minimum"):
        env_int("WORKERS", 2, minimum=1)


def test_lists_and_choices(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , ,b.example")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("MODE", "x")
    with pytest.raises(ImproperlyConfigured):
        env_choice("MODE", ["a", "b"], "a")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process, so that settings are read from this environment."""
    environment = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        BOITE_PRODUCTION="true",
        SECRET_KEY="x" * 30 + "-production-secret-key-of-sufficient-length",
        ALLOWED_HOSTS="boitenumerique.example",
        BOITE_SECRET_KEYS="IyaiVS_gG8xT_3pWWBMr_ZuNRL8ZvKqiQj-qSBdN8ZU=",
        OIDC_RSA_PRIVATE_KEY=_rsa_key_pem(),
        BOITE_VAR_DIR=str(tmp_path / "var"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _rsa_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_production_without_its_own_secret_keys_is_warned(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        BOITE_PRODUCTION="true",
        SECRET_KEY="x" * 30 + "-production-secret-key-of-sufficient-length",
        ALLOWED_HOSTS="boitenumerique.example",
        BOITE_VAR_DIR=str(tmp_path),
    )
    assert "boite.W001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", BOITE_PRODUCTION="true", BOITE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_passwords_are_hashed_with_argon2id_at_the_owasp_cost():
    from django.contrib.auth.hashers import make_password

    from boite.lib.hashers import BoiteArgon2PasswordHasher

    encoded = make_password("une phrase de passe", hasher=BoiteArgon2PasswordHasher())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert BoiteArgon2PasswordHasher().verify("une phrase de passe", encoded)
