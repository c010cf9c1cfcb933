"""boite.lib.text.fold: the quick path (one translation table) must fold exactly as the
definition (decompose, drop the accents, lower-case, punctuation to spaces)."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from boite.lib.text import _SPACES, fold


def _by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()


def test_french_examples():
    assert fold("Évrecy") == "evrecy"
    assert fold("  Le Cœur à l’ouvrage — ﬁn ! ") == "le cœur a l ouvrage fin"
    assert fold("ÇA GARÇON") == "ca garcon"
    assert fold(None) == ""


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF, exclude_categories=("Cs",))))
def test_quick_fold_is_the_definition(text):
    assert fold(text) == _by_definition(text)


@given(st.text())
def test_quick_fold_is_the_definition_on_any_text(text):
    assert fold(text) == _by_definition(text)
