"""Identity on real messages: SIP2 transcripts and CAS / OpenID Connect documents.

SIP2: each answer about a patron (24, 64) and each login answer (94) of the corpus's
transcripts is played by the test SIP2 server, byte for byte, to the portal's real
client; the outcome (valid, wrong PIN, unknown, expired, lost, fines, blocked,
unavailable) and the name are those written below, after reading each message, under
the ILS profile named with it. Every checksum of the corpus is recomputed on the bytes
and must agree with the corpus's own note.

CAS: python-cas reads the shapes of CAS answers the corpus shows; the portal's own
serviceValidate and proxy answers must be read by it the same way as the standard
(Jasig) shape. OpenID Connect: the portal's discovery, token and error documents carry
what the corpus's documents carry.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace

import pytest

from boite.patrons.identity.sip2 import (
    Outcome,
    Sip2Client,
    Sip2Error,
    Sip2PatronError,
    checksum_bytes,
    outcome,
    profile_for,
)
from boite.patrons.tests.sip2_server import Sip2TestServer
from conformance.conftest import sample, samples_dir

UNAVAILABLE = "unavailable"
GIGAFLAIR = "sip2_literals_GigaFlair-LLC__gigaflair-sip2-bridge.tsv"
STUDIOSITY = "sip2_literals_Studiosity__sip2-ruby.tsv"
INVENIO = "sip2_literals_inveniosoftware-contrib__invenio-sip2.tsv"

# (file, source line) → (profile, outcome, name). A mock ILS written for a bridge
# (GigaFlair) answers without CQ and mostly without checksums: read as Evergreen,
# which leaves CQ out, and as Koha where the checksum policy matters.
PATRON_ANSWERS = {
    (GIGAFLAIR, "tests/final_hardening_verification.test.ts:125"): (
        "evergreen", Outcome.BLOCKED, "Alice Æ Patron",  # charge and recall denied
    ),
    (GIGAFLAIR, "tests/login-retries.test.ts:24"): ("koha", UNAVAILABLE, None),  # bad AZ
    (GIGAFLAIR, "tests/sanitization.test.ts:215"): ("evergreen", Outcome.UNKNOWN, ""),
    (GIGAFLAIR, "tests/sanitization.test.ts:223"): ("evergreen", Outcome.UNKNOWN, ""),
    (GIGAFLAIR, "tests/sip-client.test.ts:39"): ("evergreen", Outcome.VALID, "Fragmented Patron"),
    (GIGAFLAIR, "tests/sip-client.test.ts:67"): ("evergreen", Outcome.VALID, "First"),
    (GIGAFLAIR, "tests/sip-client.test.ts:71"): ("evergreen", Outcome.VALID, "Second"),
    (GIGAFLAIR, "tests/sip-client.test.ts:112"): ("koha", UNAVAILABLE, None),  # AZ0000
    (GIGAFLAIR, "tests/sip-client.test.ts:126"): ("evergreen", UNAVAILABLE, None),  # AZ0000
    (GIGAFLAIR, "tests/tcp-buffering.test.ts:30"): ("koha", UNAVAILABLE, None),
    (GIGAFLAIR, "tests/tcp-buffering.test.ts:55"): ("koha", UNAVAILABLE, None),
    (GIGAFLAIR, "tests/tcp-buffering.test.ts:56"): ("koha", UNAVAILABLE, None),
    (GIGAFLAIR, "tests/translation-advanced.test.ts:30"): ("evergreen", Outcome.UNKNOWN, ""),
    (GIGAFLAIR, "tests/translation.test.ts:66"): ("evergreen", Outcome.UNKNOWN, ""),
    (GIGAFLAIR, "tests/translation.test.ts:75"): ("evergreen", Outcome.UNKNOWN, "Jane Smith"),
    # Fields in another order than the specification's: read all the same.
    (GIGAFLAIR, "tests/translation.test.ts:76"): ("evergreen", Outcome.UNKNOWN, "Jane Smith"),
    (GIGAFLAIR, "tests/translation.test.ts:96"): ("evergreen", Outcome.UNKNOWN, ""),
    (GIGAFLAIR, "tests/translation.test.ts:110"): ("evergreen", Outcome.UNKNOWN, ""),
    (GIGAFLAIR, "tests/translation.test.ts:116"): ("evergreen", Outcome.UNKNOWN, ""),
    # « 64FOOBAR »: a right checksum on a message that is no patron information.
    (STUDIOSITY, "spec/sip2/client_spec.rb:56"): ("koha", UNAVAILABLE, None),
    (STUDIOSITY, "spec/sip2/messages/patron_information_spec.rb:20"): ("koha", UNAVAILABLE, None),
}  # fmt: skip

LOGIN_ANSWERS = {
    (STUDIOSITY, "spec/sip2/messages/login_spec.rb:22"): True,
    (STUDIOSITY, "spec/sip2/messages/login_spec.rb:51"): False,
    (INVENIO, "tests/test_actions.py:66"): False,
    (INVENIO, "tests/test_actions.py:74"): True,
}


def _rows(name: str) -> list[dict[str, str]]:
    with sample("sip2", name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _message(name: str, source_line: str) -> dict[str, str]:
    for row in _rows(name):
        if row["source"].split(":", 1)[1] == source_line:
            return row
    raise AssertionError(f"{name}: no row {source_line}")


def _answers_in(name: str, types: set[str]) -> set[tuple[str, str]]:
    return {
        (name, row["source"].split(":", 1)[1])
        for row in _rows(name)
        if row["message_type"] in types and "${" not in row["message"]
    }


def test_every_answer_of_the_transcripts_has_an_expectation():
    files = sorted(path.name for path in (samples_dir() / "sip2").glob("*.tsv"))
    patrons = set().union(*(_answers_in(name, {"24", "64"}) for name in files))
    logins = set().union(*(_answers_in(name, {"94"}) for name in files))
    assert patrons == set(PATRON_ANSWERS)
    assert logins == set(LOGIN_ANSWERS)


def _card_of(message: str) -> str:
    match = re.search(r"(?:^|\|)AA([^|]*)", message[37:])
    assert match, message
    return match.group(1)


@pytest.mark.parametrize(("name", "source_line"), sorted(PATRON_ANSWERS))
def test_each_patron_answer_gives_its_outcome(name, source_line):
    profile_key, expected, expected_name = PATRON_ANSWERS[(name, source_line)]
    message = _message(name, source_line)["message"]
    # The request is the one the answer belongs to (23 for a 24, 63 for a 64).
    profile = replace(profile_for(profile_key), message="23" if message[:2] == "24" else "63")
    card = _card_of(message) if "AA" in message else "FOOBAR"
    with Sip2TestServer() as server:
        server.state.canned[card] = message.encode("utf-8")
        with Sip2Client("127.0.0.1", server.port, timeout=2, profile=profile) as client:
            try:
                status = client.patron_status("INST", card, "1234")
            except Sip2PatronError:
                got, name_read = UNAVAILABLE, None
            else:
                got, name_read = outcome(status, profile), status.name
    assert got == expected
    if expected_name is not None:
        assert name_read == expected_name


@pytest.mark.parametrize(("name", "source_line"), sorted(LOGIN_ANSWERS))
def test_each_login_answer_is_read(name, source_line):
    message = _message(name, source_line)["message"]
    with Sip2TestServer() as server:
        server.state.canned_login = message.encode("utf-8")
        with Sip2Client("127.0.0.1", server.port, timeout=2) as client:
            assert client.login("boite", "secret") is LOGIN_ANSWERS[(name, source_line)]


def test_every_checksum_of_the_corpus_agrees_on_the_bytes():
    checked = 0
    for path in sorted((samples_dir() / "sip2").glob("*.tsv")):
        for row in _rows(path.name):
            match = re.search(r"AZ([0-9A-Fa-f]{4})$", row["message"])
            if not match or "${" in row["message"]:
                continue
            head = row["message"][: match.start(1)].encode("utf-8")
            ours = checksum_bytes(head)
            note = row["note"]
            if "checksum-ok" in note:
                assert ours == match.group(1).upper(), row["source"]
            else:
                calc = re.search(r"checksum-mismatch\(calc ([0-9A-F]{4})\)", note)
                assert calc and ours == calc.group(1), row["source"]
            checked += 1
    assert checked >= 80


def test_a_mismatched_patron_answer_is_that_patrons_error_not_the_systems():
    """The corpus's wrong checksums never count as a failure of the library system."""
    message = _message(GIGAFLAIR, "tests/tcp-buffering.test.ts:55")["message"]
    koha_23 = replace(profile_for("koha"), message="23")
    with Sip2TestServer() as server:
        server.state.canned["P0001"] = message.encode("utf-8")
        with (
            Sip2Client("127.0.0.1", server.port, timeout=2, profile=koha_23) as client,
            pytest.raises(Sip2Error) as raised,
        ):
            client.patron_status("INST", "P0001", "1")
    assert isinstance(raised.value, Sip2PatronError)


# -- CAS: the shapes python-cas reads ------------------------------------------------------
CAS = "cas-oidc"


def _python_cas(xml: bytes, version: int = 3):
    from cas import CASClientV2, CASClientV3

    return (CASClientV3 if version == 3 else CASClientV2).parse_response_xml(xml)


def test_the_standard_attributes_block_is_read_as_the_corpus_shows():
    xml = sample(CAS, "phpcas_cas20_jasig_attributes_block.xml").read_bytes()
    user, attributes, pgtiou = _python_cas(xml)
    assert user == "jsmith" and pgtiou.startswith("PGTIOU-")
    assert attributes["surname"] == "Smith" and len(attributes["memberOf"]) == 2


def test_the_portals_service_validate_has_the_standard_shape():
    from django.template.loader import render_to_string
    from lxml import etree

    ns = "{http://www.yale.edu/tp/cas}"
    ours = render_to_string(
        "access/cas_success.xml",
        {
            "user": "a1b2c3",
            "attributes": [("last_name", "Lemaître & fils"), ("card_number", "1400")],
        },
    ).encode("utf-8")
    user, attributes, _pgt = _python_cas(ours)
    assert user == "a1b2c3"
    assert attributes == {"last_name": "Lemaître & fils", "card_number": "1400"}
    # The same structure as the corpus's standard document: attributes in their block.
    corpus = etree.fromstring(sample(CAS, "phpcas_cas20_jasig_attributes_block.xml").read_bytes())
    for tree in (corpus, etree.fromstring(ours)):
        success = tree.find(f"{ns}authenticationSuccess")
        assert success.find(f"{ns}user") is not None
        assert success.find(f"{ns}attributes") is not None


def test_non_ascii_values_travel_as_the_corpus_shows():
    xml = sample(CAS, "phpcas_cas20_utf8_user_internationalization.xml").read_bytes()
    user, _attributes, _pgt = _python_cas(xml, 2)
    assert user == "Iñtërnâtiônàlizætiøn"
    from django.template.loader import render_to_string

    ours = render_to_string(
        "access/cas_success.xml", {"user": user, "attributes": [("first_name", user)]}
    ).encode("utf-8")
    assert _python_cas(ours, 2)[:2] == (user, {"first_name": user})


def test_failures_have_the_corpus_shape():
    from django.template.loader import render_to_string
    from lxml import etree

    ns = "{http://www.yale.edu/tp/cas}"
    corpus = sample(CAS, "python-cas_cas3_failure_ticket_already_used.xml").read_bytes()
    assert _python_cas(corpus)[0] is None

    class Failure:
        code, description = "INVALID_TICKET", "Ticket not recognised or already used."

    ours = render_to_string("access/cas_failure.xml", {"failure": Failure}).encode()
    assert _python_cas(ours)[0] is None
    failure = etree.fromstring(ours)[0]
    assert failure.tag == etree.fromstring(corpus)[0].tag == f"{ns}authenticationFailure"
    assert failure.get("code") == "INVALID_TICKET"
    proxy = render_to_string(
        "access/cas_failure.xml", {"failure": Failure, "element": "proxyFailure"}
    ).encode()
    corpus_proxy = etree.fromstring(sample(CAS, "phpcas_proxy_failure.xml").read_bytes())
    assert etree.fromstring(proxy)[0].tag == corpus_proxy[0].tag == f"{ns}proxyFailure"


def test_nonstandard_shapes_of_the_corpus_are_not_what_the_portal_sends():
    """RubyCAS-style, name-value and « utilisateur » wrappers are read differently (or
    not at all) by python-cas: the portal sends the standard block only."""
    ruby = sample(CAS, "phpcas_cas20_rubycas_style_attributes.xml").read_bytes()
    assert _python_cas(ruby, 2)[1] == {}  # attributes outside their block are lost
    wrapper = sample(CAS, "python-cas_cas2_nonstandard_utilisateur_wrapper.xml").read_bytes()
    assert _python_cas(wrapper, 2)[0] is not None


# -- OpenID Connect: the documents the corpus shows ----------------------------------------
@pytest.mark.django_db
def test_discovery_carries_what_the_corpus_discovery_carries(client, calvados):
    corpus = json.loads(sample(CAS, "nov_oidc_discovery_config.json").read_text())
    ours = client.get("/o/.well-known/openid-configuration").json()
    optional = {"registration_endpoint"}  # no self-registration, on purpose
    assert set(corpus) - optional <= set(ours)
    assert (
        ours["id_token_signing_alg_values_supported"]
        == corpus["id_token_signing_alg_values_supported"]
    )
    assert ours["issuer"].endswith("/o") and "end_session_endpoint" in ours


@pytest.mark.django_db
def test_errors_have_the_corpus_shape(client, calvados):
    corpus = json.loads(sample(CAS, "nov_oidc_error_invalid_request.json").read_text())
    ours = client.get("/o/userinfo/", {"access_token": "x"}).json()
    assert set(corpus) <= set(ours) and ours["error"] == corpus["error"]
