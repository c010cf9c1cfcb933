"""Search as a librarian expects it: French stemming and accents, typos, facets, sorts,
pages, suggestions, and only what the network may use."""

import re

import pytest

from boite.catalog.models import Record
from boite.catalog.search import SearchQuery, get_backend, search


@pytest.fixture
def open_ids(catalogue):
    return [r.pk for r in catalogue.values()]


def _titles(results) -> list[str]:
    found = Record.objects.in_bulk([h.record_id for h in results.hits])
    return [found[h.record_id].title for h in results.hits]


def test_cinema_finds_cinemas_without_accents(open_ids):
    titles = _titles(search(SearchQuery(text="cinema", resource_ids=open_ids)))
    assert "Les Cinémas de Normandie" in titles
    assert "Les Cinémas de quartier" in titles
    assert "Cinéma muet, mode d'emploi" in titles


def test_a_typo_still_finds(open_ids):
    titles = _titles(search(SearchQuery(text="cinma", resource_ids=open_ids)))
    assert "Cinéma muet, mode d'emploi" in titles
    assert "Les Cinémas de quartier" in titles


def test_polar_finds_crime_novels_films_and_games(open_ids):
    results = search(SearchQuery(text="polar", resource_ids=open_ids))
    titles = _titles(results)
    for expected in ["Le Polar de la falaise", "La Nuit du polar", "Polar Mag",
                     "Détective du Pays d'Auge", "Le Crime de la rue aux Juifs"]:  # fmt: skip
        assert expected in titles
    categories = dict(results.facets["category"])
    assert {"livre", "cinema", "presse", "jeu-video", "livre-audio"} <= set(categories)


def test_anglais_finds_courses_and_english_material(open_ids):
    results = search(SearchQuery(text="anglais", resource_ids=open_ids))
    titles = _titles(results)
    assert titles[0].lower().startswith(("anglais", "l'anglais", "apprendre l'anglais", "mon"))
    for expected in ["Anglais : les bases pour voyager", "Anglais professionnel",
                     "Apprendre l'anglais en voiture", "Vocable English"]:  # fmt: skip
        assert expected in titles
    assert ("formation", 2) in results.facets["category"]


def test_jeunesse_finds_the_youth_resource_and_youth_titles(open_ids):
    results = search(SearchQuery(text="jeunesse", resource_ids=open_ids, per_page=50))
    titles = _titles(results)
    assert "Lili la petite sorcière" in titles  # Ma Petite Médiathèque
    assert "Petit Ours veut voir la mer" in titles  # a youth e-book
    assert "Le Petit Roi des marées" in titles  # a film for children
    assert "La Nuit du polar" not in titles
    assert dict(results.facets["audience"])["youth"] >= 10


def test_facets_filter_and_count(catalogue, open_ids):
    everything = search(SearchQuery(resource_ids=open_ids))
    assert everything.count == Record.objects.count()
    assert sum(c for _v, c in everything.facets["category"]) == everything.count
    films = search(SearchQuery(resource_ids=open_ids, category=["cinema"], kind=["film"]))
    assert films.count == Record.objects.filter(resource__category="cinema", kind="film").count()
    years = search(SearchQuery(resource_ids=open_ids, year_min=2022, year_max=2023))
    assert years.year_range[0] >= 2022 and years.year_range[1] <= 2023
    english = search(SearchQuery(resource_ids=open_ids, language=["eng"]))
    assert set(_titles(english)) == {"Vocable English"}
    one = search(SearchQuery(resource_ids=open_ids, resource=[catalogue["digame"].pk]))
    assert one.count == 5
    assert dict(one.facets["resource"]) == {str(catalogue["digame"].pk): 5}


def test_sorts_and_pages(open_ids):
    by_title = search(SearchQuery(resource_ids=open_ids, sort="title", per_page=100))
    titles = _titles(by_title)
    from boite.lib.text import fold

    assert [fold(t) for t in titles] == sorted(fold(t) for t in titles)
    newest = search(SearchQuery(resource_ids=open_ids, sort="newest", per_page=100))
    years = [Record.objects.get(pk=h.record_id).year or 0 for h in newest.hits]
    assert years == sorted(years, reverse=True)
    page1 = search(SearchQuery(resource_ids=open_ids, sort="title", per_page=10, page=1))
    page2 = search(SearchQuery(resource_ids=open_ids, sort="title", per_page=10, page=2))
    assert _titles(page1) + _titles(page2) == titles[:20]


def test_snippets_highlight_the_words(open_ids):
    results = search(SearchQuery(text="falaises", resource_ids=open_ids))
    hit = results.hits[0]
    assert "<mark>falaises</mark>" in hit.snippet_html or "<mark>Falaise</mark>" in hit.title_html


def test_snippets_escape_html(db, make_resource, tmp_path):
    from boite.catalog.harvest.runner import harvest

    source = tmp_path / "x.csv"
    source.write_text("id;titre;resume\n1;<script>alert(1)</script> polar;Un polar <b>gras</b>\n")
    resource = make_resource(source=source)
    harvest(resource)
    hit = search(SearchQuery(text="polar", resource_ids=[resource.pk])).hits[0]
    assert "<script>" not in hit.title_html and "<b>gras" not in hit.snippet_html


def test_only_the_networks_resources_are_searched(catalogue):
    only_games = [catalogue["digame"].pk]
    titles = _titles(search(SearchQuery(text="polar", resource_ids=only_games)))
    assert titles == ["Détective du Pays d'Auge"]
    assert search(SearchQuery(text="polar", resource_ids=[])).count == 0


def test_prefix_suggestions(open_ids):
    backend = get_backend()
    assert "Les Cinémas de Normandie" in backend.suggest("les cin", open_ids)
    assert "Polar Mag" in backend.suggest("pol", open_ids)
    assert backend.suggest("pol", []) == []


def test_similar_titles(open_ids):
    record = Record.objects.get(title="Le Polar de la falaise")
    similar = _titles_of(get_backend().similar(record.pk, open_ids))
    assert record.title not in similar
    assert {"La Nuit du polar", "Polar Mag", "Le Polar du Mont-Saint-Michel"} & set(similar) or (
        similar
    )


def _titles_of(ids):
    found = Record.objects.in_bulk(ids)
    return [found[i].title for i in ids]


def test_no_result_suggests_close_titles(open_ids):
    results = search(SearchQuery(text="dinosaures martiens", resource_ids=open_ids))
    assert results.count == 0
    assert "Le Grand Livre des dinosaures" in results.suggestions


# -- the portal pages -------------------------------------------------------------------


def test_search_page_with_facets(client, catalogue):
    page = client.get("/recherche/", {"q": "polar"}).content.decode()
    assert "La Nuit du <mark>polar</mark>" in page
    assert "<mark>" in page
    assert "<legend>Catégorie</legend>" in page
    assert 'name="category" value="livre"' in page
    assert "résultats" in page


def test_the_headers_box_and_the_pages_field_have_distinct_names(client, calvados):
    page = client.get("/recherche/", {"q": "polar"}).content.decode()
    labels = re.findall(r'<label for="([^"]+)">([^<]+)</label>', page)
    searches = [(target, text) for target, text in labels if "echerche" in text]
    assert searches == [("search-q", "Recherche rapide"), ("id_q", "Rechercher dans le catalogue")]


def test_search_page_filters_by_facet(client, catalogue):
    page = client.get("/recherche/", {"q": "polar", "category": "presse"}).content.decode()
    assert "<mark>Polar</mark> Mag" in page
    assert "La Nuit du" not in page
    assert 'value="presse" id="facet-category-1" checked' in page


def test_no_result_page(client, catalogue):
    page = client.get("/recherche/", {"q": "dinosaures martiens"}).content.decode()
    assert "Aucun résultat pour « dinosaures martiens »" in page
    assert "Vouliez-vous dire" in page
    assert "Le Grand Livre des dinosaures" in page
    assert 'href="/categories/cinema/"' in page


def test_bad_filter_is_a_clear_message(client, catalogue):
    page = client.get("/recherche/", {"q": "polar", "year_min": "2020", "year_max": "1990"})
    assert page.status_code == 200
    assert "L&#x27;année de fin est avant l&#x27;année de début." in page.content.decode()


def test_search_page_pagination(client, catalogue):
    first = client.get("/recherche/", {"q": "", "sort": "title"}).content.decode()
    assert "Page 1 sur 4" in first
    assert 'href="?q=&amp;sort=title&amp;page=2"' in first
    second = client.get("/recherche/", {"q": "", "sort": "title", "page": "2"}).content.decode()
    assert "Page 2 sur 4" in second
    assert 'rel="prev"' in second


def test_caen_portal_does_not_find_a_calvados_only_resource(
    client, caen_client, make_resource, tmp_path, calvados
):
    from boite.catalog.harvest.runner import harvest

    source = tmp_path / "x.csv"
    source.write_text("id;titre\n1;Polar réservé au Calvados\n", encoding="utf-8")
    harvest(make_resource(source=source, networks=[calvados]))
    assert "réservé au Calvados" in client.get("/recherche/", {"q": "polar"}).content.decode()
    assert "Polar Mag" not in client.get("/recherche/", {"q": "polar"}).content.decode()
    assert (
        "réservé au Calvados" not in caen_client.get("/recherche/", {"q": "polar"}).content.decode()
    )
    assert caen_client.get("/recherche/suggestions/", {"q": "polar r"}).json() == {
        "suggestions": []
    }


def test_suggestions_endpoint(client, catalogue):
    data = client.get("/recherche/suggestions/", {"q": "les cin"}).json()
    assert "Les Cinémas de Normandie" in data["suggestions"]
    assert client.get("/recherche/suggestions/", {"q": "l"}).json() == {"suggestions": []}


@pytest.mark.parametrize("few", [True, False])
def test_visibility_holds_whichever_way_the_filter_is_written(catalogue, few):
    """A few resources shown (the filter requires them) or most of them (it excludes the
    others): either way, no document of a hidden resource, and all of the shown ones."""
    shown = {"pnb-livres"} if few else set(catalogue) - {"pnb-livres", "skilleos"}
    ids = [catalogue[slug].pk for slug in shown]
    results = search(SearchQuery(resource_ids=ids, per_page=100))
    expected = Record.objects.filter(resource__in=ids, withdrawn=False)
    assert results.count == expected.count() > 0
    assert {h.record_id for h in results.hits} == set(expected.values_list("pk", flat=True))
    assert {int(r) for r, _n in results.facets["resource"]} <= set(ids)
    for text in ("polar", "cinema", "anglais"):
        found = search(SearchQuery(text=text, resource_ids=ids, per_page=100))
        assert {h.resource_id for h in found.hits} <= set(ids)
    for title in get_backend().suggest("le", ids, limit=50):
        assert Record.objects.filter(resource__in=ids, title=title).exists()


def test_a_network_with_no_indexed_resource_finds_nothing(catalogue):
    assert search(SearchQuery(text="polar", resource_ids=[987654])).count == 0
    assert search(SearchQuery(resource_ids=[987654])).count == 0


def test_words_that_say_nothing_do_not_narrow_the_search(open_ids):
    with_them = search(SearchQuery(text="le polar de la falaise", resource_ids=open_ids))
    assert _titles(with_them)[0] == "Le Polar de la falaise"
    without = search(SearchQuery(text="polar falaise", resource_ids=open_ids))
    assert with_them.count == without.count
    # A query made of such words only is still asked as typed.
    assert search(SearchQuery(text="la", resource_ids=open_ids)).count > 0


def _open_many_times(path: str, times: int) -> int:
    """In a process of its own: open the index as a starting worker does; what it holds."""
    from boite.catalog.search.tantivy_backend import TantivyBackend

    held = []
    for _n in range(times):
        held.append(TantivyBackend(path).index.searcher().num_docs)
    return min(held)


def test_workers_opening_the_index_together_keep_it(settings, open_ids):
    """gunicorn's workers and the Huey worker open the index at the same moment; none
    may take it for an old layout and delete it."""
    import multiprocessing

    indexed = get_backend().index.searcher().num_docs
    assert indexed > 10
    path = str(settings.CATALOG_INDEX_DIR)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        seen = pool.starmap(_open_many_times, [(path, 60)] * 4)
    assert seen == [indexed] * 4
    get_backend().index.reload()
    assert get_backend().index.searcher().num_docs == indexed


def test_an_index_of_an_old_layout_is_dropped_and_rebuilt(settings, open_ids):
    from boite.catalog.search import _instances
    from boite.catalog.search.tantivy_backend import SCHEMA_VERSION

    path = settings.CATALOG_INDEX_DIR
    assert get_backend().index.searcher().num_docs > 10
    (path / "boite-schema-version").write_text("1")
    _instances.clear()
    assert get_backend().index.searcher().num_docs == 0  # dropped: derived data
    assert (path / "boite-schema-version").read_text() == SCHEMA_VERSION
    active = Record.objects.filter(withdrawn=False).count()
    assert get_backend().rebuild() == active
    assert get_backend().index.searcher().num_docs == active
