"""ODL 1.0 offers: an OPDS 2.0 feed whose publications carry `licenses`.

Each publication has `metadata` (title, `identifier` as `urn:isbn:…`, `@type` schema.org
Book/EBook or Audiobook) and a list of `licenses`, each with `metadata.identifier`,
`metadata.terms` (`checkouts`, `concurrency`, `length` in seconds, `expires`),
`metadata.price` and `metadata.created`, and two links: `self` (the License Info
Document, type application/vnd.odl.info+json) and `checkout` (templated). A feed is
paged by `next` links; `read_pages` follows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

from django.utils.dateparse import parse_datetime

from boite.lending.offers.base import Offer, OfferFileError, OfferProblem, valid_ean
from boite.lib import outbound

INFO_TYPE = "application/vnd.odl.info+json"
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
    identifier = str(metadata.get("identifier", ""))
    ean = identifier.removeprefix("urn:isbn:").replace("-", "")
    title = str(metadata.get("title", ""))[:500]
    kind = str(metadata.get("@type", ""))
    licences = publication.get("licenses")
    if not isinstance(licences, list) or not licences:
        yield OfferProblem(where, "publication without licenses")
        return
    for licence in licences:
        yield _read_licence(licence, where, ean, title, "Audiobook" in kind)


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
    links = {
        link.get("rel"): link.get("href", "")
        for link in licence.get("links") or []
        if isinstance(link, dict)
    }
    if not links.get("checkout") or not links.get("self"):
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
    expires = _datetime(terms.get("expires"))
    created = _datetime(metadata.get("created"))
    if expires is False or created is False:
        return OfferProblem(where, "a date without time zone or not a date")
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
        audiobook=audiobook,
        loans_total=checkouts,
        concurrent_max=concurrency,
        loan_max_days=length // 86400 if length else None,
        valid_from=created,
        valid_until=expires,
        price=price,
        info_url=links["self"],
        checkout_url=links["checkout"],
    )


def _datetime(value):
    """A date-time, None when absent, False when unreadable."""
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, e.g. a 31st of February
        return False
    return parsed if parsed is not None and parsed.tzinfo is not None else False
