"""Each format reads its fixture into normalised records."""

from pathlib import Path

import pytest

from boite.catalog.harvest import FORMATS, get_format
from boite.catalog.harvest.base import Deletion, Item, Options, Rejection, SourceError, minutes_of

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _read(fmt: str, name: str, **options) -> list:
    return list(get_format(fmt).read(str(FIXTURES / name), Options(options=options)))


def test_registry_knows_every_format():
    assert set(FORMATS) == {"oai", "marc", "onix", "opds", "json", "csv"}
    with pytest.raises(SourceError):
        get_format("pdf")


def test_onix_reference_tags():
    items = _read("onix", "pnb-livres.onix.xml")
    assert len(items) == 8 and all(isinstance(i, Item) for i in items)
    first = items[0]
    assert first.provider_id == "pnb-9782070001001"
    assert first.title == "Le Polar de la falaise"
    assert first.subtitle == "roman"
    assert first.isbn == "9782070001001"
    assert first.contributors == [{"name": "Isabelle Grandin", "role": "auteur"}]
    assert first.year == 2023
    assert first.languages == ["fre"]
    assert "Polar" in first.subjects
    assert first.cover_url == "https://covers.dilicom.example/9782070001001.jpg"
    assert "Étretat" in first.description
    assert first.source_payload.startswith("<Product")
    youth = next(i for i in items if i.title == "Petit Ours veut voir la mer")
    assert youth.audience == "youth"


def test_onix_short_tags_and_deletion():
    found = _read("onix", "pnb-livres-audio.short.onix.xml")
    item, deletion = found
    assert item.title == "Le Polar du Mont-Saint-Michel"
    assert item.kind == "livre-audio"
    assert item.duration_minutes == 525
    assert {"name": "Marc Olivier", "role": "narrateur"} in item.contributors
    assert deletion == Deletion("pnb-9782253001002")


def test_marcxml_marc21():
    items = _read("marc", "philharmonie.marcxml.xml", flavour="marc21")
    assert len(items) == 5
    first = items[0]
    assert first.provider_id == "phil-2001"
    assert first.title == "Symphonie fantastique"
    assert first.kind == "concert"
    assert first.year == 2022
    assert first.deep_link.startswith("https://philharmoniedeparis.fr/")
    assert {"name": "Klaus Mäkelä", "role": "direction"} in first.contributors


def test_unimarc_iso2709_read_by_its_own_tags():
    items = _read("marc", "ma-petite-mediatheque.unimarc.mrc")  # flavour guessed
    assert len(items) == 6
    first = items[0]
    assert first.title == "Lili la petite sorcière"
    assert first.subtitle == "histoire animée"
    assert first.contributors == [{"name": "Claire Dumont", "role": "auteur"}]
    assert first.isbn == "9791090001011"
    assert first.year == 2021
    assert "Lili rate" in first.description
    assert first.deep_link.endswith("/mpm-01")
    assert first.languages == ["fre"]


def test_opds_file():
    items = _read("opds", "pnb-livres-audio.opds.json")
    assert len(items) == 4
    first = items[0]
    assert first.kind == "livre-audio"
    assert first.isbn == "9782253002001"
    assert {"name": "Paul Hervé", "role": "narrateur"} in first.contributors
    assert first.duration_minutes == 240
    assert first.audience == "youth"


def test_json_file_with_mediatheque_numerique_fields():
    items = _read("json", "mediatheque-numerique.json")
    assert len(items) == 12
    film = next(i for i in items if i.provider_id == "mn-1002")
    assert film.title == "La Nuit du polar"
    assert film.year == 2021
    assert film.duration_minutes == 108
    assert film.cover_url.endswith("mn-1002.jpg")
    assert film.deep_link.endswith("/films/mn-1002")
    assert {"name": "Julien Lefort", "role": "réalisateur"} in film.contributors
    assert "Policier" in film.subjects
    assert next(i for i in items if i.provider_id == "mn-1001").kind == "documentaire"
    assert next(i for i in items if i.provider_id == "mn-1006").kind == "serie"
    assert next(i for i in items if i.provider_id == "mn-1003").audience == "youth"


def test_csv_with_default_mapping():
    items = _read("csv", "cafeyn.csv")
    assert len(items) == 8
    assert items[0].title == "Ouest-France"
    assert items[0].kind == "journal"
    assert items[3].audience == "youth"
    assert items[5].languages == ["eng"]
    assert items[0].subjects == ["Actualité", "Régions"]


def test_tsv_with_a_saved_mapping():
    mapping = {"provider_id": "ref", "title": "intitule", "duration_minutes": "duree",
               "subjects": "themes", "deep_link": "url"}  # fmt: skip
    items = _read("csv", "toutapprendre.tsv", mapping=mapping, kind="cours")
    assert len(items) == 7
    assert items[0].title == "Anglais : les bases pour voyager"
    assert items[0].duration_minutes == 360
    assert items[1].duration_minutes == 510
    assert items[0].kind == "cours"


def test_windows_1252_csv_is_read_with_its_accents():
    items = _read("csv", "vodeclic.csv")
    assert [i.title for i in items][1] == "Protéger sa vie privée en ligne"
    assert all("\ufffd" not in i.title for i in items)


@pytest.mark.parametrize(
    ("value", "minutes"),
    [(95, 95), ("95", 95), ("1:35:00", 95), ("PT1H35M", 95), ("", None), ("abc", None)],
)
def test_durations(value, minutes):
    assert minutes_of(value) == minutes


def test_rejections_carry_position_and_reason(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("id;titre\na1;Bon titre\n;Sans identifiant\na3;\n", encoding="utf-8")
    found = list(get_format("csv").read(str(path), Options()))
    assert isinstance(found[0], Item)
    assert found[1] == Rejection(2, "sans identifiant", "", found[1].excerpt)
    assert found[2].reason == "sans titre"
    assert found[2].provider_id == "a3"
