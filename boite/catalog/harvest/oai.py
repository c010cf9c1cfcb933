"""OAI-PMH repositories (`oai_dc` or `marcxml`), with oaipmh-scythe.

Resumption tokens are followed by the client; an incremental harvest sends `from`;
a record whose header says `status="deleted"` is withdrawn; `noRecordsMatch` is an
empty answer, not an error. Options: `metadata_prefix` (oai_dc), `set`, `flavour`
(for marcxml: marc21 or unimarc).
"""

from __future__ import annotations

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
    is_url,
    status_message,
    timeout_message,
    unreachable_message,
)
from boite.catalog.models import RecordType

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


class OaiPmh(Format):
    name = "oai"
    label = "OAI-PMH (oai_dc, marcxml)"
    incremental = True

    def read(self, source: str, options: Options):
        if not is_url(source):
            raise SourceError(_("an OAI-PMH source is an http(s) address"))
        kind, user, secret = options.auth
        auth = httpx2.BasicAuth(user, secret) if kind == "basic" else None
        prefix = options.options.get("metadata_prefix", "oai_dc")
        flavour = options.options.get("flavour", "")
        scythe = Scythe(
            source,
            http_config=HTTPConfig(timeout=TIMEOUT, auth=auth),
            retry_config=RetryConfig(
                max_retries=2,
                retry_status_codes=(500, 502, 503, 504),
                default_retry_after=0.5,
                retry_on_transport_error=True,
                initial_backoff=0.2,
            ),
        )
        if kind == "token":
            scythe.client.headers["Authorization"] = f"Bearer {secret}"
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
