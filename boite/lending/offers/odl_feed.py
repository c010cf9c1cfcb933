"""ODL 1.0 offers: an OPDS 2.0 feed whose publications carry `licenses`.

Each publication has `metadata` (title, `identifier` as `urn:isbn:…` — URN scheme and
namespace are case-insensitive, RFC 8141, so `urn:ISBN:` and `URN:ISBN:` are the same —,
`@type` schema.org Book/EBook or Audiobook) and a list of `licenses`, each with
`metadata.identifier`, `metadata.format`, `metadata.terms` (`checkouts`, `concurrency`,
`length` in seconds, `expires`), `metadata.price` and `metadata.created`, and two links:
`self` (the License Info Document, type application/vnd.odl.info+json) and the checkout
link, registered as `http://opds-spec.org/acquisition/borrow` (templated; distributors
also write `borrow` or `checkout`, and the type alone tells the License Status Document
link). Dates are ISO 8601 with or without time (`2031-01-15` ends with that day, in the
portal's time zone). An audiobook is told by the publication's `@type` or the licence's
format (`audio/…`, `application/audiobook+…`). A feed is paged by `next` links;
`read_pages` follows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

from boite.lending.distributors.base import read_date
from boite.lending.offers.base import Offer, OfferFileError, OfferProblem, valid_ean
from boite.lib import outbound

INFO_TYPE = "application/vnd.odl.info+json"
LSD_TYPE = "application/vnd.readium.license.status.v1.0+json"
BORROW = "http://opds-spec.org/acquisition/borrow"
# The registered relation first, then the spellings distributors use.
_BORROW_RELS = (BORROW, "https://opds-spec.org/acquisition/borrow", "borrow", "checkout")
_AUDIO_TYPES = ("audiobook",)
MAX_PAGES = 10_000


def read_offers(pages: Iterable[bytes]) -> Iterator[Offer | OfferProblem]:
    for number, page in enumerate(pages, 1):
        feed = _page(page, number)
        for position, publication in enumerate(feed.get("publications") or [], 1):
            yield from _read_publication(publication, f"page {number}, publication {position}")


def read_file(source) -> Iterator[Offer | OfferProblem]:
    """One feed page from a file (a path or a binary file object)."""
    if hasattr(source, "read"):
        return read_offers([source.read()])
    with open(source, "rb") as handle:
        return read_offers([handle.read()])


def read_pages(client: outbound.Client, url: str) -> Iterator[bytes]:
    """The pages of a feed, following `next` links (each page once).

    `client` is an outbound client (a distributor adapter's `client`): its credentials
    belong to the feed's origin, so a `next` link to another origin is fetched without
    them, and an internal address is refused (OfferFileError with the reason)."""
    seen: set[str] = set()
    while url and url not in seen and len(seen) < MAX_PAGES:
        seen.add(url)
        try:
            response = client.get(url, headers={"Accept": "application/opds+json"})
        except outbound.OutboundRefused as error:
            raise OfferFileError(f"{url.split('?')[0]}: {error.message}") from None
        if response.status_code != 200:
            raise OfferFileError(f"{url.split('?')[0]}: HTTP {response.status_code}")
        yield response.content
        feed = _page(response.content, len(seen))
        url = next(
            (
                urljoin(url, link["href"])
                for link in feed.get("links") or []
                if isinstance(link, dict) and link.get("rel") == "next" and link.get("href")
            ),
            "",
        )


def _page(page: bytes, number: int) -> dict:
    try:
        feed = json.loads(page)
    except ValueError as error:
        raise OfferFileError(f"page {number}: not JSON ({error})") from None
    if not isinstance(feed, dict) or not isinstance(feed.get("publications", []), list):
        raise OfferFileError(f"page {number}: not an OPDS 2.0 feed with publications")
    return feed


def _read_publication(publication: object, where: str) -> Iterator[Offer | OfferProblem]:
    if not isinstance(publication, dict) or not isinstance(publication.get("metadata"), dict):
        yield OfferProblem(where, "publication without metadata")
        return
    metadata = publication["metadata"]
    ean = _ean(metadata.get("identifier"))
    title = str(metadata.get("title", ""))[:500]
    kind = metadata.get("@type", "")
    audiobook = isinstance(kind, str) and kind.rsplit("/", 1)[-1].lower() in _AUDIO_TYPES
    licences = publication.get("licenses")
    if not isinstance(licences, list) or not licences:
        yield OfferProblem(where, "publication without licenses")
        return
    for licence in licences:
        yield _read_licence(licence, where, ean, title, audiobook)


def _ean(identifier: object) -> str:
    """The EAN of `urn:isbn:…` (any case, hyphens and spaces dropped), or a bare ISBN."""
    text = str(identifier or "").strip()
    if text[:9].lower() == "urn:isbn:":
        text = text[9:]
    return text.replace("-", "").replace(" ", "")


def _is_audio(formats: object) -> bool:
    values = formats if isinstance(formats, list) else [formats]
    return any(
        isinstance(value, str)
        and (value.lower().startswith("audio/") or "audiobook" in value.lower())
        for value in values
    )


def _licence_links(links: object) -> tuple[str, str]:
    """(License Info Document, checkout template) of a licence's links."""
    info = checkout = ""
    ranked: dict[str, str] = {}
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            continue
        rel, kind = link.get("rel", ""), str(link.get("type", "")).split(";")[0].strip()
        rels = rel if isinstance(rel, list) else [rel]
        for one in rels:
            if not isinstance(one, str):
                continue
            if one == "self" and (kind in ("", INFO_TYPE)) and not info:
                info = link["href"]
            if one in _BORROW_RELS:
                ranked.setdefault(one, link["href"])
        if kind == LSD_TYPE:
            ranked.setdefault("~type", link["href"])
    for rel in (*_BORROW_RELS, "~type"):
        if rel in ranked:
            checkout = ranked[rel]
            break
    return info, checkout


def _read_licence(licence, where: str, ean: str, title: str, audiobook: bool):
    if not isinstance(licence, dict) or not isinstance(licence.get("metadata"), dict):
        return OfferProblem(where, "licence without metadata")
    metadata = licence["metadata"]
    key = str(metadata.get("identifier", ""))
    if not key:
        return OfferProblem(where, "licence without identifier")
    where = f"licence {key}"
    if not valid_ean(ean):
        return OfferProblem(where, f"invalid EAN {ean!r}")
    terms = metadata.get("terms") or {}
    if not isinstance(terms, dict):
        return OfferProblem(where, "terms is not an object")
    info_url, checkout_url = _licence_links(licence.get("links"))
    if not checkout_url or not info_url:
        return OfferProblem(where, "licence without checkout or self link")
    checkouts, concurrency, length = (
        terms.get("checkouts"),
        terms.get("concurrency", 1),
        terms.get("length"),
    )
    for name, value in (("checkouts", checkouts), ("length", length)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return OfferProblem(where, f"terms.{name} is not a number: {value!r}")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        return OfferProblem(where, f"terms.concurrency is not a count: {concurrency!r}")
    if (checkouts is not None and checkouts < 0) or (length is not None and length < 86400):
        return OfferProblem(where, "terms out of range")
    expires = read_date(terms.get("expires"), end_of_day=True)
    created = read_date(metadata.get("created"))
    if expires is False or created is False:
        return OfferProblem(where, "not a date")
    price = None
    if isinstance(metadata.get("price"), dict):
        try:
            price = Decimal(str(metadata["price"].get("value")))
        except InvalidOperation:
            return OfferProblem(where, "price is not a number")
    return Offer(
        key=key,
        ean=ean,
        title=title,
        audiobook=audiobook or _is_audio(metadata.get("format")),
        loans_total=checkouts,
        concurrent_max=concurrency,
        loan_max_days=length // 86400 if length else None,
        valid_from=created,
        valid_until=expires,
        price=price,
        info_url=info_url,
        checkout_url=checkout_url,
    )
