"""The tantivy backend: an embedded index under var/, French stemming, folding, fuzzy.

Text fields use the analyzer « fr » (lower case, ASCII folding, French Snowball
stemmer): « Cinémas » and « cinema » meet on the stem « cinem ». The field `words`
keeps folded words unstemmed, for typo tolerance (fuzzy terms) and as-you-type prefixes.
Filters and facets use raw fast fields. Visibility is a filter on the resources the
network may use, so that opening or closing a resource needs no re-indexing.
"""

from __future__ import annotations

import fcntl
import shutil
import threading
import time
from functools import lru_cache
from pathlib import Path

import tantivy
from django.utils import translation
from tantivy import Document, Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from boite.catalog.categories import Category
from boite.catalog.search.base import (
    FACETS,
    Backend,
    Hit,
    IndexBatch,
    SearchQuery,
    SearchResults,
)
from boite.lib.text import fold
from boite.lib.varfiles import private_dir

SCHEMA_VERSION = "3"
# Bytes of the index writer's heap. At 64 MB, a run that added 1 340 000 documents (a 2 GB
# ONIX file) peaked at 476 MB while tantivy merged its segments at the commit; at 32 MB,
# 278 MB, and no slower (make bench, BENCH_BIG_FILE=1).
WRITER_HEAP = 32_000_000
BATCH = 5000
_LANGUAGE_WORDS = {
    "fre": "français", "eng": "anglais english", "ger": "allemand deutsch",
    "spa": "espagnol español", "ita": "italien", "por": "portugais", "ara": "arabe",
}  # fmt: skip
_TEXT_FIELDS = [("title", 4.0), ("subtitle", 2.0), ("people", 2.0), ("subjects", 2.0),
                ("labels", 1.5), ("description", 1.0)]  # fmt: skip


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    # Stored: a hit is shown from the index alone (id, resource, kind, year, title).
    builder.add_integer_field("resource", stored=True, indexed=True, fast=True)
    builder.add_text_field("kind", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("category", stored=True, fast=True, tokenizer_name="raw")
    for name in ("audience", "language"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    builder.add_text_field("title_sort", fast=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="fr")
    builder.add_text_field("subtitle", tokenizer_name="fr")
    builder.add_text_field("people", tokenizer_name="fr")
    builder.add_text_field("subjects", tokenizer_name="fr")
    builder.add_text_field("labels", tokenizer_name="fr")
    builder.add_text_field("description", stored=True, tokenizer_name="fr")
    builder.add_text_field("words", tokenizer_name="fold")
    builder.add_text_field("title_words", tokenizer_name="fold", stored=True)
    return builder.build()


def _analyzers(index: tantivy.Index) -> None:
    index.register_tokenizer(
        "fr",
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("french"))
        .build(),
    )
    index.register_tokenizer(
        "fold",
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build(),
    )


# The record columns the index needs, read as tuples: far cheaper than model instances.
INDEXED = ("pk", "resource_id", "resource__category", "kind", "audience", "title", "subtitle",
           "contributors", "subjects", "description", "languages", "year",
           "sort_title")  # fmt: skip


def _labels(kind: str, audience: str, languages: list[str], category: str) -> str:
    return _cached_labels(kind, audience, tuple(languages or ()), category)


@lru_cache(maxsize=4096)
def _cached_labels(kind: str, audience: str, languages: tuple[str, ...], category: str) -> str:
    from boite.catalog.models import Audience, RecordType

    with translation.override("fr"):
        parts = [str(Category(category).label), str(RecordType(kind).label)]
        if audience != Audience.ALL:
            parts.append(str(Audience(audience).label))
    if audience == Audience.YOUTH or category == Category.YOUTH:
        parts.append("jeunesse enfants")
    parts += [_LANGUAGE_WORDS.get(lang, "") for lang in languages or []]
    return " ".join(parts)


def text_of_html(text: str) -> str:
    from boite.catalog.harvest.base import text_of_html as words

    return words(text) if "<" in text else text


def record_document(row: tuple) -> Document:
    """The document of a record from its INDEXED columns, or from those columns and its
    sort key (a harvest computes the key in its reading process)."""
    (pk, resource_id, category, kind, audience, title, subtitle, contributors, subjects,
     description, languages, year, *sort_key) = row  # fmt: skip
    people = " ".join(c.get("name", "") for c in contributors or [])
    subject_text = " ".join(subjects or [])
    doc = Document(
        id=pk,
        resource=resource_id,
        category=category,
        kind=kind,
        audience=audience,
        title_sort=(sort_key[0] if sort_key else fold(title)[:100]) or "~",
        title=title,
        subtitle=subtitle,
        people=people,
        subjects=subject_text,
        labels=_labels(kind, audience, languages, category),
        description=text_of_html(description)[:5000],
        words=" ".join((title, subtitle, people, subject_text)),
        title_words=title,
    )
    for lang in languages or []:
        doc.add_text("language", lang)
    if year:
        doc.add_integer("year", year)
    return doc


class TantivyBatch(IndexBatch):
    """One writer for the whole run, one commit."""

    def __init__(self, backend: TantivyBackend, resource) -> None:
        super().__init__(backend, resource)
        self.writer = backend._writer()
        self.category = resource.category

    def add(self, record_id: int, document: tuple, replace: bool = False) -> None:
        if replace:
            self.writer.delete_documents_by_term("id", record_id)
        self.writer.add_document(
            record_document((record_id, self.resource.pk, self.category, *document))
        )

    def delete(self, record_id: int) -> None:
        self.writer.delete_documents_by_term("id", record_id)

    def commit(self) -> None:
        self.backend._commit(self.writer)
        self.backend.check_resource(self.resource)

    def rollback(self) -> None:
        _abandon(self.writer)


class _Snapshot:
    """One searcher (a fixed state of the index) and the resources it holds, with their
    category and their number of documents.

    Visibility is a filter on resources. Intersecting with the documents of the visible
    resources costs as much as walking all of them — most of the catalogue, for most
    networks — so the filter is written the cheap way round: nothing when every resource
    of the index is visible, the few hidden resources excluded when they hold fewer
    documents than the visible ones, the visible ones required otherwise. The resources
    are read from this very searcher, so a resource indexed since cannot slip through."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema) -> None:
        self.searcher = searcher
        self.schema = schema
        found = searcher.aggregate(
            Query.all_query(), {"r": {"terms": {"field": "resource", "size": 100_000}}}
        )
        self.documents: dict[int, int] = {
            int(b["key"]): int(b["doc_count"]) for b in found.get("r", {}).get("buckets", [])
        }
        self.categories: dict[int, str] = {}

    def category_of(self, resource_id: int) -> str:
        """The category of a resource, read once from one of its documents."""
        category = self.categories.get(resource_id)
        if category is None:
            found = self.searcher.search(Query.term_query(self.schema, "resource", resource_id), 1)
            category = ""
            if found.hits:
                category = self.searcher.doc(found.hits[0][1]).get_first("category") or ""
            self.categories[resource_id] = category
        return category

    def visibility(self, resources: set[int]) -> list[tuple]:
        """The clauses that keep only documents of these resources."""
        shown = [r for r in self.documents if r in resources]
        hidden = [r for r in self.documents if r not in resources]
        if not hidden:
            return []
        if not shown:
            return [(Occur.Must, Query.term_query(self.schema, "resource", -1))]  # nothing
        if sum(self.documents[r] for r in hidden) <= sum(self.documents[r] for r in shown):
            return [(Occur.MustNot, Query.term_set_query(self.schema, "resource", hidden))]
        return [(Occur.Must, Query.term_set_query(self.schema, "resource", shown))]


class TantivyBackend(Backend):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.schema = _schema()
        self._index: tantivy.Index | None = None
        self._lock = threading.Lock()
        self._reloaded = 0.0
        self._snapshot: _Snapshot | None = None

    # -- the index ------------------------------------------------------------
    @property
    def index(self) -> tantivy.Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._open()
        return self._index

    def _open(self) -> tantivy.Index:
        version = self.path / "boite-schema-version"
        private_dir(self.path.parent)  # 0700: the index holds the whole catalogue
        # Every gunicorn worker and the Huey worker open the index when they start, often
        # at the same moment: one at a time, or one would read the version file another
        # is writing, take the index for an old layout and delete it (found by the load
        # test: the search answered nothing until the next reindex).
        with open(self.path.parent / f".{self.path.name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = version.read_text().strip() if version.exists() else None
            if self.path.exists() and found != SCHEMA_VERSION:
                shutil.rmtree(self.path)  # derived data: an old layout is rebuilt by reindex
            private_dir(self.path)
            index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
            if found != SCHEMA_VERSION:
                version.write_text(SCHEMA_VERSION)
        _analyzers(index)
        return index

    def _searcher(self) -> tantivy.Searcher:
        return self._current().searcher

    def _current(self) -> _Snapshot:
        """The searcher and what it holds, renewed at most once a second: another
        process (the worker) may have committed."""
        snapshot = self._snapshot
        now = time.monotonic()
        if snapshot is None or now - self._reloaded > 1.0:
            self.index.reload()
            snapshot = _Snapshot(self.index.searcher(), self.schema)
            self._snapshot, self._reloaded = snapshot, now
        return snapshot

    def _writer(self):
        for attempt in range(50):
            try:
                return self.index.writer(WRITER_HEAP, 1)
            except ValueError:
                if attempt == 49:
                    raise
                time.sleep(0.2)  # another process is writing: wait for its lock
        raise RuntimeError("unreachable")

    def _commit(self, writer) -> None:
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self._snapshot = None  # the next search takes a snapshot of the new state

    def _add_records(self, writer, records, progress=None) -> int:
        count = 0
        for row in records.values_list(*INDEXED).iterator(chunk_size=BATCH):
            # The stored sort title (or the title) becomes the folded sort key.
            writer.add_document(record_document((*row[:-1], fold(row[-1] or row[5])[:100])))
            count += 1
            if progress and count % BATCH == 0:
                progress(count)
        return count

    def batch(self, resource) -> TantivyBatch:
        return TantivyBatch(self, resource)

    def check_resource(self, resource) -> None:
        """After a run's incremental update, the index must hold exactly the resource's
        active records; if not (a new replica, an index deleted by hand, a category
        changed), the resource is re-indexed from the database."""
        from boite.catalog.models import Record

        searcher = self._searcher()
        found = searcher.search(
            Query.term_query(self.schema, "resource", resource.pk), 1, count=True
        ).count
        if found != Record.objects.filter(resource=resource, withdrawn=False).count():
            self.index_resource(resource)

    def index_resource(self, resource) -> int:
        from boite.catalog.models import Record

        writer = self._writer()
        try:
            writer.delete_documents_by_term("resource", resource.pk)
            records = Record.objects.filter(resource=resource, withdrawn=False)
            count = self._add_records(writer, records)
            self._commit(writer)
        except BaseException:
            _abandon(writer)
            raise
        return count

    def rebuild(self, progress=None) -> int:
        from boite.catalog.models import Record

        writer = self._writer()
        try:
            writer.delete_all_documents()
            records = Record.objects.filter(withdrawn=False)
            count = self._add_records(writer, records.order_by("pk"), progress)
            self._commit(writer)
        except BaseException:
            _abandon(writer)
            raise
        return count

    def refresh(self) -> list[int]:
        from datetime import datetime

        from django.utils import timezone

        from boite.catalog.models import HarvestRun, Resource

        marker = self.path / "boite-synced-at"
        now = timezone.now()
        since = None
        if marker.exists():
            since = datetime.fromisoformat(marker.read_text().strip())
        runs = HarvestRun.objects.filter(status=HarvestRun.Status.SUCCEEDED)
        if since is not None:
            runs = runs.filter(finished_at__gte=since)
        ids = sorted(set(runs.values_list("resource_id", flat=True)))
        for resource in Resource.objects.filter(pk__in=ids):
            self.index_resource(resource)
        self.index  # noqa: B018 — opens (creates) the directory before the marker is written
        marker.write_text(now.isoformat())
        return ids

    # -- queries --------------------------------------------------------------
    def _text_query(self, text: str, tolerant: bool = False) -> Query | None:
        """Every word must match (stemmed, accents folded) in one of the text fields;
        `tolerant` also accepts words one or two typing mistakes away."""
        words = _meaningful(fold(text).split())[:12]
        if not words:
            return None
        clauses = []
        for word in words:
            options = []
            for field, boost in _TEXT_FIELDS:
                # The field's own analyzer stems the word the same way it stemmed the text.
                parsed = self.index.parse_query(word, [field])
                options.append((Occur.Should, Query.boost_query(parsed, boost)))
            if tolerant and len(word) >= 4:
                distance = 2 if len(word) >= 8 else 1
                fuzzy = Query.fuzzy_term_query(self.schema, "words", word, distance=distance)
                options.append((Occur.Should, Query.boost_query(fuzzy, 0.5)))
            clauses.append((Occur.Must, Query.boolean_query(options)))
        return Query.boolean_query(clauses)

    def _filters(self, query: SearchQuery, snapshot: _Snapshot) -> list[tuple]:
        resources = {int(r) for r in query.resource_ids}
        if query.category:
            resources = {r for r in resources if snapshot.category_of(r) in query.category}
        if query.resource:
            resources &= {int(r) for r in query.resource}
        filters = snapshot.visibility(resources)
        for name in FACETS:
            values = getattr(query, name)
            if values and name not in ("category", "resource"):
                filters.append((Occur.Must, Query.term_set_query(self.schema, name, list(values))))
        if query.year_min is not None or query.year_max is not None:
            filters.append(
                (
                    Occur.Must,
                    Query.range_query(
                        self.schema,
                        "year",
                        tantivy.FieldType.Integer,
                        query.year_min if query.year_min is not None else 0,
                        query.year_max if query.year_max is not None else 9999,
                    ),
                )
            )
        return filters

    def _compose(self, text_query: Query | None, filters: list[tuple]) -> Query:
        clauses = list(filters)
        clauses.append((Occur.Must, text_query) if text_query else (Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    def search(self, query: SearchQuery) -> SearchResults:
        if not query.resource_ids:
            return SearchResults(count=0, hits=[])
        snapshot = self._current()
        searcher = snapshot.searcher
        filters = self._filters(query, snapshot)
        text_query = self._text_query(query.text)
        full = self._compose(text_query, filters)
        per_page = max(1, min(query.per_page, 100))
        offset = (max(1, query.page) - 1) * per_page
        # With facets, the count comes from the aggregation (every document has one
        # resource): the matching documents are walked once, not twice.
        kwargs = {"limit": per_page, "offset": offset, "count": not query.facets}
        if query.sort == "newest" or (query.sort == "relevance" and not text_query):
            kwargs.update(order_by_field="year", order=tantivy.Order.Desc)
        elif query.sort == "title":
            kwargs.update(order_by_field="title_sort", order=tantivy.Order.Asc)
        results = SearchResults(count=0, hits=[])
        self._count(snapshot, full, results, query.facets, kwargs)
        if not results.count and text_query is not None:
            # Nothing matches as typed: accept typing mistakes (« cinma » → « cinéma »).
            # Tolerance only when needed keeps the usual queries fast and precise.
            text_query = self._text_query(query.text, tolerant=True)
            full = self._compose(text_query, filters)
            self._count(snapshot, full, results, query.facets, kwargs)
        if results.count:
            found = results.hits or searcher.search(full, **kwargs).hits
            results.hits = self._hits(searcher, found, text_query)
        if results.count == 0 and query.text:
            results.suggestions = self._did_you_mean(snapshot, query)
        return results

    def _count(self, snapshot, full, results: SearchResults, facets: bool, kwargs) -> None:
        """Count the matches: with the facets when asked for, else with the search
        itself (whose raw hits are then kept in `results.hits` for `_hits`)."""
        results.facets, results.year_range, results.hits = {}, None, []
        if facets:
            self._facets(snapshot, full, results)
        else:
            found = snapshot.searcher.search(full, **kwargs)
            results.count = found.count or 0
            results.hits = found.hits

    def _hits(self, searcher, found, text_query) -> list[Hit]:
        snippets = None
        if text_query is not None:
            snippets = tantivy.SnippetGenerator.create(
                searcher, text_query, self.schema, "description"
            )
            snippets.set_max_num_chars(220)
            titles = tantivy.SnippetGenerator.create(searcher, text_query, self.schema, "title")
        hits = []
        for score, address in found:
            doc = searcher.doc(address)
            record_id = doc.get_first("id")
            relevance = float(score) if isinstance(score, float) else 0.0  # or a sort key
            hit = Hit(
                record_id=record_id,
                score=relevance,
                title=doc.get_first("title") or "",
                kind=doc.get_first("kind") or "",
                year=doc.get_first("year"),
                resource_id=doc.get_first("resource"),
            )
            if snippets is not None:
                hit.snippet_html = _marked(snippets.snippet_from_doc(doc).to_html())
                hit.title_html = _marked(titles.snippet_from_doc(doc).to_html())
            hits.append(hit)
        return hits

    def _facets(self, snapshot: _Snapshot, full: Query, results: SearchResults) -> None:
        # Every document has exactly one resource and the category of its resource: the
        # count and the category facet are sums over the resource buckets (exact, as the
        # resource aggregation returns every resource), one aggregation fewer to run.
        aggs = {
            name: {"terms": {"field": name, "size": 10_000 if name == "resource" else 50}}
            for name in FACETS
            if name != "category"
        }
        aggs["year"] = {"stats": {"field": "year"}}
        found = snapshot.searcher.aggregate(full, aggs)
        for name in FACETS:
            if name != "category":
                buckets = found.get(name, {}).get("buckets", [])
                results.facets[name] = [(_key(b["key"]), int(b["doc_count"])) for b in buckets]
        categories: dict[str, int] = {}
        for resource_id, count in results.facets["resource"]:
            category = snapshot.category_of(int(resource_id))
            categories[category] = categories.get(category, 0) + count
        results.count = sum(count for _r, count in results.facets["resource"])
        results.facets["category"] = sorted(categories.items(), key=lambda c: (-c[1], c[0]))
        results.facets["resource"] = results.facets["resource"][:50]
        stats = found.get("year", {})
        if stats.get("count"):
            results.year_range = (int(stats["min"]), int(stats["max"]))

    def _did_you_mean(self, snapshot: _Snapshot, query: SearchQuery) -> list[str]:
        """Titles close to what was typed, from the resources the network may see."""
        searcher = snapshot.searcher
        words = fold(query.text).split()[:6]
        options = [
            (Occur.Should, Query.fuzzy_term_query(self.schema, "words", w, distance=2))
            for w in words
            if len(w) >= 3
        ]
        if not options:
            return []
        found = searcher.search(
            Query.boolean_query(
                [
                    *snapshot.visibility(set(query.resource_ids)),
                    (Occur.Must, Query.boolean_query(options)),
                ]
            ),
            5,
        )
        return list(dict.fromkeys(searcher.doc(a).get_first("title") for _s, a in found.hits))

    def suggest(self, prefix: str, resource_ids: list[int], limit: int = 8) -> list[str]:
        words = fold(prefix).split()[:8]
        if not words or not resource_ids:
            return []
        snapshot = self._current()
        searcher = snapshot.searcher
        clauses = snapshot.visibility(set(resource_ids))
        for word in words[:-1]:
            clauses.append((Occur.Must, Query.term_query(self.schema, "title_words", word)))
        clauses.append(
            (
                Occur.Must,
                Query.fuzzy_term_query(
                    self.schema, "title_words", words[-1], distance=0, prefix=True
                ),
            )
        )
        found = searcher.search(Query.boolean_query(clauses), limit * 2)
        titles = [searcher.doc(a).get_first("title") for _s, a in found.hits]
        return list(dict.fromkeys(titles))[:limit]

    def similar(self, record_id: int, resource_ids: list[int], limit: int = 6) -> list[int]:
        if not resource_ids:
            return []
        snapshot = self._current()
        searcher = snapshot.searcher
        found = searcher.search(Query.term_query(self.schema, "id", record_id), 1)
        if not found.hits:
            return []
        like = Query.more_like_this_query(
            found.hits[0][1], min_doc_frequency=1, min_term_frequency=1, min_word_length=3
        )
        query = Query.boolean_query(
            [
                (Occur.Must, like),
                *snapshot.visibility(set(resource_ids)),
                (Occur.MustNot, Query.term_query(self.schema, "id", record_id)),
            ]
        )
        hits = searcher.search(query, limit).hits
        return [searcher.doc(a).get_first("id") for _s, a in hits]


# Words that say nothing on their own (folded): « les enquêtes de Léa » is searched as
# « enquêtes Léa ». Each would match most of the catalogue, and every word must match:
# walking them cost more than the rest of the query. They stay in the index.
_STOPWORDS = frozenset(
    {"a", "au", "aux", "ce", "ces", "d", "de", "des", "du", "en", "et", "l", "la", "le",
     "les", "un", "une", "sur", "par", "pour", "the", "of", "and"}
)  # fmt: skip


def _meaningful(words: list[str]) -> list[str]:
    """The words worth searching; all of them if none is (« Le » alone is still asked)."""
    kept = [w for w in words if w not in _STOPWORDS]
    return kept or words


def _abandon(writer) -> None:
    """Cancel a writer's changes and let go of the index's write lock at once: a writer
    merely rolled back keeps the lock until the garbage collector drops it, and the next
    harvest in the same worker could not write (found by the fault drills)."""
    writer.rollback()
    writer.wait_merging_threads()


def _key(value) -> str:
    """A bucket key as text: integer fields come back as numbers (5 or 5.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _marked(snippet_html: str) -> str:
    """tantivy escapes the text and wraps matches in <b>; the portal marks them with <mark>."""
    return snippet_html.replace("<b>", "<mark>").replace("</b>", "</mark>")
