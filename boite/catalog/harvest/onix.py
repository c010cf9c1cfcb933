"""ONIX for Books 3.0 and 2.1, reference names or short tags, read product by product.

lxml's `iterparse` keeps one <Product> in memory at a time, so a file of several
gigabytes is read in constant memory. The stream is read through `xmlstream.Cleaned`:
control characters that XML 1.0 forbids are dropped, the HTML entities an ONIX DTD
defines (`&ndash;`) are resolved without loading the DTD, and a file without a declared
encoding whose bytes are not UTF-8 is read as Windows-1252. The header's
DefaultLanguageOfText is the language of the products that give none.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from lxml import etree

from boite.catalog.harvest import xmlstream
from boite.catalog.harvest.base import (
    AUTHOR,
    Deletion,
    Format,
    Item,
    Options,
    Rejection,
    SourceError,
    reason_of,
    role_of,
    validated,
    year_of,
)
from boite.catalog.harvest.sources import open_binary
from boite.catalog.models import Audience, RecordType

# Short tag → reference name, for the elements read here.
SHORT = {
    "product": "Product", "a001": "RecordReference", "a002": "NotificationType",
    "productidentifier": "ProductIdentifier", "b221": "ProductIDType", "b244": "IDValue",
    "descriptivedetail": "DescriptiveDetail", "x314": "ProductComposition",
    "b012": "ProductForm", "b333": "ProductFormDetail", "titledetail": "TitleDetail",
    "b202": "TitleType", "titleelement": "TitleElement", "x409": "TitleElementLevel",
    "b203": "TitleText", "b029": "Subtitle", "b030": "TitlePrefix", "b031": "TitleWithoutPrefix",
    "contributor": "Contributor", "b035": "ContributorRole", "b036": "PersonName",
    "b037": "PersonNameInverted", "b047": "CorporateName", "language": "Language",
    "b253": "LanguageRole", "b252": "LanguageCode", "subject": "Subject",
    "b067": "SubjectSchemeIdentifier", "b069": "SubjectCode", "b070": "SubjectHeadingText",
    "audience": "Audience", "b204": "AudienceCodeType", "b206": "AudienceCodeValue",
    "x432": "AudienceRangeQualifier", "collateraldetail": "CollateralDetail",
    "textcontent": "TextContent", "x426": "TextType", "d104": "Text",
    "supportingresource": "SupportingResource", "x436": "ResourceContentType",
    "resourceversion": "ResourceVersion", "x435": "ResourceLink",
    "publishingdetail": "PublishingDetail", "publishingdate": "PublishingDate",
    "x448": "PublishingDateRole", "b306": "Date", "extent": "Extent", "b218": "ExtentType",
    "b219": "ExtentValue", "b220": "ExtentUnit",
    # ONIX 3.0 names given in parts, and the header
    "b039": "NamesBeforeKey", "b040": "KeyNames", "b038": "PrefixToKey",
    "header": "Header", "m184": "DefaultLanguageOfText",
    # ONIX 2.1
    "title": "Title", "b028": "DistinctiveTitle", "othertext": "OtherText",
    "d102": "TextTypeCode", "mediafile": "MediaFile", "f114": "MediaFileTypeCode",
    "f116": "MediaFileLinkTypeCode", "f117": "MediaFileLink", "b003": "PublicationDate",
    "b073": "AudienceCode",
}  # fmt: skip


_NAMES: dict = {}  # tag as lxml gives it → reference name ("" for comments and PIs)


def _name(tag) -> str:
    name = _NAMES.get(tag)
    if name is None:
        if isinstance(tag, str):
            local = tag.rpartition("}")[2]
            name = SHORT.get(local, local)
        else:
            name = ""
        if len(_NAMES) > 10_000:  # a file of endless invented tags must not grow it
            _NAMES.clear()
        _NAMES[tag] = name
    return name


def _texts(element) -> dict[str, str]:
    """Name → text of the first child of each name (the leaves of a composite)."""
    texts: dict[str, str] = {}
    if element is None:
        return texts
    for child in element:
        name = _name(child.tag)
        if name and name not in texts:
            texts[name] = (child.text or "").strip()
    return texts


def _first(element, name: str):
    if element is not None:
        for child in element:
            if _name(child.tag) == name:
                return child
    return None


def product_to_item(product) -> Item | Deletion:
    """One <Product>, read in one pass over its children and theirs."""
    ref = notification = None
    isbn = ""
    detail = collateral = publishing = None
    for child in product:
        name = _name(child.tag)
        if name == "RecordReference":
            ref = (child.text or "").strip() if ref is None else ref
        elif name == "NotificationType":
            notification = (child.text or "").strip() if notification is None else notification
        elif name == "ProductIdentifier":
            if not isbn:
                texts = _texts(child)
                if texts.get("ProductIDType", "") in ("15", "03"):
                    isbn = texts.get("IDValue", "")
        elif name == "DescriptiveDetail":
            detail = child if detail is None else detail
        elif name == "CollateralDetail":
            collateral = child if collateral is None else collateral
        elif name == "PublishingDetail":
            publishing = child if publishing is None else publishing
    ref = ref or ""
    provider_id = ref or isbn
    if notification == "05":
        return Deletion(provider_id)
    item = Item(provider_id=provider_id, title="", kind=RecordType.EBOOK, isbn=isbn)
    if detail is not None:
        _read_detail(detail, item)
    else:  # ONIX 2.1: the same elements, and others, right under <Product>
        _read_detail(product, item)
        _read_collateral(product, item)
        texts = _texts(product)
        item.year = year_of(texts.get("PublicationDate", ""))
    if collateral is not None:
        _read_collateral(collateral, item)
    if publishing is not None:
        for child in publishing:
            if _name(child.tag) == "PublishingDate":
                texts = _texts(child)
                if texts.get("PublishingDateRole", "") in ("01", "19", ""):
                    item.year = year_of(texts.get("Date", ""))
                    break
    item.identifiers = {"onix_reference": ref} if ref else {}
    item.source_payload = etree.tostring(product, encoding="unicode")
    return item


def _read_detail(detail, item: Item) -> None:
    title_read = False
    form = form_detail = None
    for child in detail:
        name = _name(child.tag)
        if name == "TitleDetail":
            if title_read:
                continue
            texts = _texts(child)
            if texts.get("TitleType", "") not in ("", "01"):
                continue
            title_read = True
            element = _texts(_first(child, "TitleElement"))
            item.title = element.get("TitleText", "") or " ".join(
                x for x in (element.get("TitlePrefix"), element.get("TitleWithoutPrefix")) if x
            )
            item.subtitle = element.get("Subtitle", "")
        elif name == "Contributor":
            texts = _texts(child)
            person = texts.get("PersonName")
            if not person:  # a name given in parts
                parts = (
                    texts.get("NamesBeforeKey"),
                    texts.get("PrefixToKey"),
                    texts.get("KeyNames"),
                )
                person = " ".join(x for x in parts if x)
            item.contributors.append(
                {
                    "name": person
                    or texts.get("CorporateName")
                    or texts.get("PersonNameInverted", ""),
                    "role": role_of(texts.get("ContributorRole"), AUTHOR),
                }
            )
        elif name == "Language":
            item.languages.append(_texts(child).get("LanguageCode", ""))
        elif name == "Subject":
            texts = _texts(child)
            item.subjects.append(texts.get("SubjectHeadingText") or texts.get("SubjectCode", ""))
        elif name == "Audience":
            texts = _texts(child)
            if texts.get("AudienceCodeType") == "01":
                code = texts.get("AudienceCodeValue", "")
                if code in ("02", "03"):
                    item.audience = Audience.YOUTH
                elif code == "04":
                    item.audience = Audience.TEEN
        elif name == "ProductForm":
            form = (child.text or "").strip() if form is None else form
        elif name == "ProductFormDetail":
            form_detail = (child.text or "").strip() if form_detail is None else form_detail
        elif name == "Extent":
            texts = _texts(child)
            value = texts.get("ExtentValue", "")
            if texts.get("ExtentType") == "09" and value.isdigit():
                unit = texts.get("ExtentUnit", "")
                minutes = int(value) // 60 if unit == "06" else int(value)
                item.duration_minutes = minutes if unit in ("05", "06") else None
        elif name == "Title" and not title_read:  # ONIX 2.1
            texts = _texts(child)
            if texts.get("TitleType", "") not in ("", "00", "01"):
                continue
            title_read = True
            item.title = texts.get("TitleText", "") or " ".join(
                x for x in (texts.get("TitlePrefix"), texts.get("TitleWithoutPrefix")) if x
            )
            item.subtitle = texts.get("Subtitle", "")
        elif name == "DistinctiveTitle" and not title_read:
            item.title = (child.text or "").strip()
            title_read = bool(item.title)
        elif name == "AudienceCode":
            code = (child.text or "").strip()
            if code in ("02", "03"):
                item.audience = Audience.YOUTH
            elif code == "04":
                item.audience = Audience.TEEN
    # ProductForm (ONIX code list 150): A… audio, V… video, J… periodicals; the rest
    # (books, digital files) e-books.
    form = form or ""
    if form.startswith("A") or (form_detail or "").startswith("A1"):
        item.kind = RecordType.AUDIOBOOK
    elif form.startswith("V"):
        item.kind = RecordType.FILM
    elif form.startswith("J"):
        item.kind = RecordType.MAGAZINE


def _read_collateral(collateral, item: Item) -> None:
    for child in collateral:
        name = _name(child.tag)
        if name == "TextContent" and not item.description:
            text = _first(child, "Text")
            if _texts(child).get("TextType", "") in ("02", "03") and text is not None:
                item.description = " ".join(text.itertext())
        elif name == "OtherText" and not item.description:  # ONIX 2.1
            text = _first(child, "Text")
            if _texts(child).get("TextTypeCode", "") in ("01", "02", "03") and text is not None:
                item.description = " ".join(text.itertext())
        elif name == "SupportingResource" and not item.cover_url:
            # Resource content type 01: the front cover (an image, whatever its mode).
            if _texts(child).get("ResourceContentType") == "01":
                version = _texts(_first(child, "ResourceVersion"))
                item.cover_url = version.get("ResourceLink", "")
        elif name == "MediaFile" and not item.cover_url:  # ONIX 2.1
            texts = _texts(child)
            # 04: cover image, 06: its thumbnail; link type 01: a URL.
            if texts.get("MediaFileTypeCode") in ("04", "06") and texts.get(
                "MediaFileLinkTypeCode", "01"
            ) in ("01", ""):
                item.cover_url = texts.get("MediaFileLink", "")


def _record_reference(product) -> str:
    return _texts(product).get("RecordReference", "")


def read_products(stream, options: Options | None = None) -> Iterator[Item | Deletion | Rejection]:
    position = 0
    # Only the end of each <Product> (any namespace, reference or short tag) reaches
    # Python; the elements inside are read from the product's subtree.
    cleaned = xmlstream.Cleaned(stream)
    default_language = ""
    context = etree.iterparse(
        cleaned,
        events=("end",),
        tag=("{*}Product", "{*}product", "{*}Header", "{*}header"),
        encoding=cleaned.encoding,
        recover=False,
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
    )
    try:
        for _event, element in context:
            if _name(element.tag) == "Header":
                default_language = _texts(element).get("DefaultLanguageOfText", "")
                continue
            position += 1
            try:
                found = product_to_item(element)
                if isinstance(found, Item):
                    if not found.languages and default_language:
                        found.languages = [default_language]
                    if cleaned.warning:
                        found.warnings.append(cleaned.warning)
                    found = validated(found)
            except (ValueError, TypeError, AttributeError) as error:
                found = Rejection(
                    position,
                    reason_of(error),
                    _record_reference(element),
                    etree.tostring(element, encoding="unicode")[:500],
                )
            yield found
            # Free what was read: the element and the siblings before it.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise SourceError(_("malformed XML: %(error)s") % {"error": error}) from None
    if position == 0:
        raise SourceError(_("no ONIX <Product> in this source"))


class Onix(Format):
    name = "onix"
    label = "ONIX (3.0, 2.1)"

    def read(self, source: str, options: Options):
        with open_binary(source, options) as stream:
            yield from read_products(stream, options)
