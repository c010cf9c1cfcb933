"""What a search backend receives and answers."""

from __future__ import annotations

from dataclasses import dataclass, field

SORTS = ("relevance", "newest", "title")
FACETS = ("category", "kind", "resource", "audience", "language")


@dataclass
class SearchQuery:
    text: str = ""
    resource_ids: list[int] = field(default_factory=list)  # what the network may see
    category: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    resource: list[int] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: bool = True


@dataclass
class Hit:
    record_id: int
    score: float
    title_html: str = ""
    snippet_html: str = ""
    # From the index's stored fields: enough to list a hit without the database.
    title: str = ""
    kind: str = ""
    year: int | None = None
    resource_id: int | None = None


@dataclass
class SearchResults:
    count: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    year_range: tuple[int, int] | None = None
    suggestions: list[str] = field(default_factory=list)


class IndexBatch:
    """The index changes of one harvest run: documents are handed over as the run writes
    its rows, and `commit` (after the database transaction) makes them visible at once.

    This default keeps nothing and re-indexes the resource from the database on commit:
    correct for any backend, only slower."""

    def __init__(self, backend: Backend, resource) -> None:
        self.backend = backend
        self.resource = resource

    def add(self, record_id: int, document: tuple, replace: bool = False) -> None:
        """A record created (or, with `replace`, changed), with the fields of its
        document: kind, audience, title, subtitle, contributors, subjects, description,
        languages, year (see harvest/reader.py)."""

    def delete(self, record_id: int) -> None:
        """A record withdrawn."""

    def commit(self) -> None:
        self.backend.index_resource(self.resource)

    def rollback(self) -> None:
        """The run failed: the index stays as it was."""


class Backend:
    def batch(self, resource) -> IndexBatch:
        """Index changes of one harvest of `resource`, committed once."""
        return IndexBatch(self, resource)

    def search(self, query: SearchQuery) -> SearchResults:
        raise NotImplementedError

    def suggest(self, prefix: str, resource_ids: list[int], limit: int = 8) -> list[str]:
        """Titles starting with the words typed so far (as-you-type)."""
        raise NotImplementedError

    def similar(self, record_id: int, resource_ids: list[int], limit: int = 6) -> list[int]:
        """Ids of records close to this one (« titres proches »)."""
        raise NotImplementedError

    def index_resource(self, resource) -> int:
        """Bring the index of one resource in line with the database; return the count."""
        raise NotImplementedError

    def rebuild(self, progress=None) -> int:
        """Rebuild the whole index from the database; return the count."""
        raise NotImplementedError

    def refresh(self) -> list[int]:
        """Re-index the resources harvested since this replica was last brought up to
        date (by any server); return their ids. A replica on another application server
        calls it periodically to catch up with the harvests its own worker did not run."""
        raise NotImplementedError
