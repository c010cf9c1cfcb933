"""The corpus itself: every file of it is claimed by an area's expectations."""

from conformance.conftest import samples_dir

AREAS = ("unimarc", "marc21", "onix", "oai-pmh", "opds", "sip2", "cas-oidc", "counter")


def test_the_corpus_has_every_area():
    present = {path.name for path in samples_dir().iterdir() if path.is_dir()}
    assert set(AREAS) <= present, sorted(set(AREAS) - present)
