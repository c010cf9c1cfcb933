"""Catalogue search behind one interface; the backend is chosen by settings.

`get_backend()` returns the configured backend (`CATALOG_SEARCH_BACKEND`, tantivy by
default). A new backend is one module with a `Backend` subclass and one line in
BACKENDS. The database stays the source of truth: a backend's index is derived, and
`manage.py reindex` rebuilds it.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from boite.catalog.search.base import Backend, Hit, SearchQuery, SearchResults

BACKENDS = {
    "tantivy": "boite.catalog.search.tantivy_backend.TantivyBackend",
}

_instances: dict[tuple[str, str], Backend] = {}


def get_backend() -> Backend:
    name = getattr(settings, "CATALOG_SEARCH_BACKEND", "tantivy")
    path = str(settings.CATALOG_INDEX_DIR)
    key = (name, path)
    if key not in _instances:
        module, cls = BACKENDS[name].rsplit(".", 1)
        _instances[key] = getattr(import_module(module), cls)(path)
    return _instances[key]


def index_record(record) -> None:
    """One record as the back office left it: indexed again, or taken out of the index
    when withdrawn or deleted (a deleted record carries its former id in `_index_pk`)."""
    from boite.lib.text import fold

    backend = get_backend()
    batch = backend.batch(record.resource)
    try:
        if record.withdrawn or getattr(record, "_deleted", False):
            batch.delete(getattr(record, "_index_pk", record.pk))
        else:
            document = (
                record.kind, record.audience, record.title, record.subtitle,
                record.contributors, record.subjects, record.description, record.languages,
                record.year, fold(record.sort_title or record.title)[:100],
            )  # fmt: skip
            batch.add(record.pk, document, replace=True)
    except BaseException:
        batch.rollback()
        raise
    batch.commit()


def index_resource(resource) -> None:
    """A resource whose indexed fields (its category) or records changed in the back
    office: its documents rebuilt from the database."""
    get_backend().index_resource(resource)


def search(query: SearchQuery) -> SearchResults:
    """The portal's search function."""
    return get_backend().search(query)


__all__ = [
    "Backend", "Hit", "SearchQuery", "SearchResults", "get_backend", "index_record",
    "index_resource", "search",
]  # fmt: skip
