"""OAI-PMH repositories (`oai_dc` or `marcxml`), with oaipmh-scythe.

Resumption tokens are followed by the client; an incremental harvest sends `from`;
a record whose header says `status="deleted"` is withdrawn; `noRecordsMatch` is an
empty answer, not an error. Options: `metadata_prefix` (oai_dc), `set`, `flavour`
(for marcxml: marc21 or unimarc).

oaipmh-scythe speaks HTTP through httpx2; its client is given a transport that sends
every request through the portal's outbound client (boite.lib.outbound), so an
OAI-PMH source obeys the same rules as every other address staff type.
"""

from __future__ import annotations

import httpx
import httpx2
from django.utils.translation import gettext as _
from lxml import etree
from oaipmh_scythe import HTTPConfig, RetryConfig, Scythe
from oaipmh_scythe.exceptions import NoRecordsMatch, OAIPMHException

from boite.catalog.harvest.base import (
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
from boite.catalog.harvest.marc import MARCXML_NS, marcxml_records
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


def dc_to_item(identifier: str, metadata: dict, payload: str) -> Item:
    def values(name: str) -> list[str]:
        return [v for v in metadata.get(name, []) if v]

    links = [v for v in values("identifier") if v.startswith(("http://", "https://"))]
    isbns = [v for v in values("identifier") if "isbn" in v.lower() or v.replace("-", "").isdigit()]
    covers = [v for v in values("relation") if v.startswith("http")]
    types = " ".join(values("type"))
    return Item(
        provider_id=identifier,
        title=(values("title") or [""])[0],
        contributors=[{"name": n, "role": "auteur"} for n in values("creator")]
        + [{"name": n, "role": "contributeur"} for n in values("contributor")],
        description=" ".join(values("description")),
        cover_url=covers[0] if covers else "",
        kind=kind_of(types, RecordType.OTHER),
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
        prefix = options.options.get("metadata_prefix", "oai_dc")
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
        query = {"metadata_prefix": prefix}
        if options.options.get("set"):
            query["set_"] = options.options["set"]
        if options.incremental_since:
            query["from_"] = options.incremental_since.isoformat()
        position = 0
        with scythe:
            try:
                records = scythe.list_records(**query)
                for record in records:
                    position += 1
                    identifier = record.header.identifier or ""
                    if record.deleted:
                        yield Deletion(identifier)
                        continue
                    payload = etree.tostring(record.xml, encoding="unicode")
                    try:
                        if prefix == "marcxml":
                            marc = record.xml.find(f".//{{{MARCXML_NS}}}record")
                            if marc is None:
                                raise RecordError(_("no MARCXML record in the metadata"))
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
