"""OAI-PMH repositories (Dublin Core or MARCXML), with oaipmh-scythe.

Resumption tokens are followed by the client, trimmed of the whitespace repositories
wrap them in; a page without a token, or with an empty one (`<resumptionToken/>`), ends
the list. An incremental harvest sends `from`; a record whose header says
`status="deleted"` is withdrawn; `noRecordsMatch` is an empty answer, not an error.

The metadata format is the option `metadata_prefix` when it is set; otherwise the
repository's ListMetadataFormats is read and a MARCXML format chosen by its namespace or
schema, whatever its prefix is called (`marcxml`, `marc21`, `MARC21-xml`…), Dublin Core
(`oai_dc`) failing that. Each record is read by what its metadata holds: a MARC record
(any namespace or prefix) is read as MARC, anything else as Dublin Core. Options:
`metadata_prefix`, `set`, `flavour` (for MARC: marc21 or unimarc).

oaipmh-scythe speaks HTTP through httpx2; its client is given a transport that sends
every request through the portal's outbound client (boite.lib.outbound), so an
OAI-PMH source obeys the same rules as every other address staff type (credentials
included: the outbound client sends them, to the source's origin only).
"""

from __future__ import annotations

import re

import httpx
import httpx2
from django.utils.translation import gettext as _
from lxml import etree
from oaipmh_scythe import HTTPConfig, RetryConfig, Scythe
from oaipmh_scythe.exceptions import NoRecordsMatch, OAIPMHException
from oaipmh_scythe.iterator import OAIItemIterator
from oaipmh_scythe.models import ResumptionToken

from boite.catalog.harvest.base import (
    AUTHOR,
    CONTRIBUTOR,
    Deletion,
    Format,
    Item,
    Options,
    RecordError,
    Rejection,
    SourceError,
    audience_of,
    kind_of,
    reason_of,
    validated,
    year_of,
)
from boite.catalog.harvest.marc import find_marc_record, marcxml_records
from boite.catalog.harvest.sources import (
    client,
    is_url,
    status_message,
    timeout_message,
    unreachable_message,
)
from boite.catalog.models import RecordType
from boite.lib import outbound

TIMEOUT = 30


OAI_NS = "http://www.openarchives.org/OAI/2.0/"


class _Pages(OAIItemIterator):
    """Scythe's iterator, reading tokens as repositories write them: trimmed (a national
    library's carries a newline and tabs), and an empty one as the end of the list. An
    answer outside the OAI-PMH namespace is refused: its records cannot be told apart."""

    def _next_response(self) -> None:
        super()._next_response()
        root = self.oai_response.xml if self.oai_response is not None else None
        if root is not None and etree.QName(root).namespace != OAI_NS:
            raise SourceError(
                _("this answer is not an OAI-PMH response (no OAI-PMH namespace on <%(root)s>)")
                % {"root": etree.QName(root).localname}
            )

    def _get_resumption_token(self) -> ResumptionToken | None:
        token = super()._get_resumption_token()
        if token is None:
            return None
        token.token = (token.token or "").strip()
        return token if token.token else None


_MARC_SHAPES = ("marc21/slim", "marcxml", "marc21slim", "unimarc")


def choose_prefix(formats) -> str:
    """A MARCXML-shaped format among a repository's (by namespace or schema), else oai_dc."""
    fallback = "oai_dc"
    for found in formats:
        prefix = (getattr(found, "metadataPrefix", "") or "").strip()
        shape = " ".join(
            (getattr(found, name, "") or "") for name in ("metadataNamespace", "schema")
        ).lower()
        if prefix and any(s in shape for s in _MARC_SHAPES):
            return prefix
        if prefix == "oai_dc":
            fallback = prefix
    return fallback


_DC_TYPES = [
    (RecordType.MAGAZINE, ("periodical", "périodique", "journal article", "revue", "serial")),
    (RecordType.FILM, ("movingimage", "moving image", "image animée", "vidéo", "video", "film")),
    (RecordType.AUDIOBOOK, ("livre audio", "audiobook", "livre lu")),
    (RecordType.MUSIC, ("sound", "son", "musique", "music", "enregistrement sonore")),
    (RecordType.EBOOK, ("text", "texte", "book", "livre", "monographie", "thèse", "thesis",
                        "article", "ebook", "e-book")),
    (RecordType.OTHER, ("image", "stillimage", "dataset", "software", "collection",
                        "physicalobject", "event", "service", "interactiveresource")),
]  # fmt: skip


def dc_kind(types: list[str]) -> str:
    """The portal's type for Dublin Core types (DCMI's, French and English words)."""
    for value in types:
        word = value.strip().lower().rsplit("/", 1)[-1]
        for kind, words in _DC_TYPES:
            if word in words or any(w in word for w in words if len(w) > 4):
                return kind
    return kind_of(" ".join(types), RecordType.OTHER)


_IMAGE_URL = re.compile(r"\.(?:jpe?g|png|gif|webp)(?:$|\?)", re.I)


def dc_to_item(identifier: str, metadata: dict, payload: str) -> Item:
    def values(name: str) -> list[str]:
        return [v.strip() for v in metadata.get(name, []) if isinstance(v, str) and v.strip()]

    links = [v for v in values("identifier") if v.startswith(("http://", "https://"))]
    isbns = [v for v in values("identifier") if "isbn" in v.lower() or v.replace("-", "").isdigit()]
    # dc:relation is any related resource (a collection, a web page): a cover only when it
    # is an image file.
    covers = [v for v in values("relation") if v.startswith("http") and _IMAGE_URL.search(v)]
    return Item(
        provider_id=identifier.strip(),
        title=(values("title") or [""])[0],
        contributors=[{"name": n, "role": AUTHOR} for n in values("creator")]
        + [{"name": n, "role": CONTRIBUTOR} for n in values("contributor")],
        description=" ".join(values("description")),
        cover_url=covers[0] if covers else "",
        kind=dc_kind(values("type")),
        audience=audience_of(" ".join(values("audience") + values("subject"))),
        languages=values("language"),
        year=year_of((values("date") or [""])[0]),
        subjects=values("subject"),
        isbn=isbns[0].lower().replace("urn:isbn:", "").replace("isbn:", "").strip()
        if isbns
        else "",
        deep_link=links[0] if links else "",
        source_payload=payload,
    )


# Request headers worth passing on (httpx2's own Host, Connection… are outbound's business).
_FORWARDED = ("accept", "user-agent", "content-type")


class _OutboundTransport(httpx2.BaseTransport):
    """An httpx2 transport that sends through the portal's outbound client."""

    def __init__(self, http: outbound.Client) -> None:
        self.http = http

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
        try:
            response = self.http.request(
                request.method, str(request.url), headers=headers, content=request.read() or None
            )
        except httpx.TimeoutException as error:
            raise httpx2.TimeoutException(str(error), request=request) from None
        except httpx.TransportError as error:
            raise httpx2.ConnectError(str(error), request=request) from None
        return httpx2.Response(
            response.status_code,
            headers=response.headers.multi_items(),
            content=response.content,
            request=request,
        )

    def close(self) -> None:
        self.http.close()


class _Scythe(Scythe):
    """Scythe whose httpx2 client goes through an outbound client."""

    def __init__(self, endpoint: str, *, http: outbound.Client, **kwargs) -> None:
        super().__init__(endpoint, **kwargs)
        self._outbound = http

    @property
    def client(self) -> httpx2.Client:
        if self._client is None or self._client.is_closed:
            self._client = httpx2.Client(
                transport=_OutboundTransport(self._outbound),
                headers={
                    "Accept": "text/xml; charset=utf-8, application/xml; charset=utf-8",
                    "User-Agent": self.http_config.user_agent,
                },
                timeout=self.timeout,
                default_encoding=self.encoding,
            )
        return self._client


class OaiPmh(Format):
    name = "oai"
    label = "OAI-PMH (oai_dc, marcxml)"
    incremental = True

    def read(self, source: str, options: Options):
        if not is_url(source):
            raise SourceError(_("an OAI-PMH source is an http(s) address"))
        prefix = (options.options.get("metadata_prefix") or "").strip()
        flavour = options.options.get("flavour", "")
        scythe = _Scythe(
            source,
            http=client(options, httpx.Timeout(TIMEOUT, connect=min(TIMEOUT, 10.0)), source=source),
            http_config=HTTPConfig(timeout=TIMEOUT),
            retry_config=RetryConfig(
                max_retries=2,
                retry_status_codes=(500, 502, 503, 504),
                default_retry_after=0.5,
                retry_on_transport_error=True,
                initial_backoff=0.2,
            ),
        )
        scythe.iterator = _Pages
        query = {}
        if options.options.get("set"):
            query["set_"] = options.options["set"]
        if options.incremental_since:
            query["from_"] = options.incremental_since.isoformat()
        position = 0
        with scythe:
            try:
                if not prefix:
                    try:
                        prefix = choose_prefix(scythe.list_metadata_formats())
                    except OAIPMHException:
                        prefix = "oai_dc"
                query["metadata_prefix"] = prefix
                records = scythe.list_records(**query)
                for record in records:
                    position += 1
                    identifier = (record.header.identifier or "").strip()
                    if record.deleted:
                        yield Deletion(identifier)
                        continue
                    payload = etree.tostring(record.xml, encoding="unicode")
                    try:
                        marc = find_marc_record(record.xml)
                        if marc is None and prefix == "marcxml":
                            raise RecordError(_("no MARCXML record in the metadata"))
                        if marc is not None:
                            for found in marcxml_records([marc], flavour, position - 1):
                                if isinstance(found, Item):
                                    found.provider_id = identifier
                                    found.source_payload = payload
                                yield found
                        else:
                            yield validated(dc_to_item(identifier, record.get_metadata(), payload))
                    except (ValueError, TypeError, AttributeError) as error:
                        yield Rejection(position, reason_of(error), identifier, payload[:500])
            except NoRecordsMatch:
                return
            except outbound.OutboundRefused as error:
                raise SourceError(error.message) from None
            except OAIPMHException as error:
                raise SourceError(
                    _("the repository answered an OAI-PMH error: %(error)s") % {"error": error}
                ) from None
            except httpx2.TimeoutException:
                raise SourceError(timeout_message()) from None
            except httpx2.HTTPStatusError as error:
                raise SourceError(status_message(error.response.status_code)) from None
            except httpx2.HTTPError as error:
                raise SourceError(unreachable_message(error)) from None
            except etree.XMLSyntaxError as error:
                raise SourceError(_("malformed XML: %(error)s") % {"error": error}) from None
