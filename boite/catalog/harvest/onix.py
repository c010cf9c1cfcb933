"""ONIX for Books 3.0, reference names or short tags, read product by product.

lxml's `iterparse` keeps one <Product> in memory at a time, so a file of several
gigabytes is read in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from boite.catalog.harvest.base import (
    Deletion,
    Format,
    Item,
    Options,
    Rejection,
    SourceError,
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
}  # fmt: skip

_ROLES = {
    "A01": "auteur", "A12": "illustrateur", "B06": "traducteur", "E07": "lecteur",
    "B01": "éditeur scientifique", "A06": "compositeur",
}  # fmt: skip


@lru_cache(maxsize=1024)
def _tag_name(tag: str) -> str:
    local = tag.rpartition("}")[2]
    return SHORT.get(local, local)


def _name(element) -> str:
    tag = element.tag
    return _tag_name(tag) if isinstance(tag, str) else ""


_KIDS: dict = {}  # element → {name: [children]}, for the product being read only


def _children(element, name: str) -> list:
    kids = _KIDS.get(element)
    if kids is None:
        kids = {}
        for child in element:
            tag = child.tag
            if isinstance(tag, str):
                kids.setdefault(_tag_name(tag), []).append(child)
        _KIDS[element] = kids
    return kids.get(name, [])


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _text(element, *path: str) -> str:
    for name in path:
        if element is None:
            return ""
        element = _child(element, name)
    return (element.text or "").strip() if element is not None else ""


def product_to_item(product) -> Item | Deletion:
    ref = _text(product, "RecordReference")
    isbn = ""
    for pid in _children(product, "ProductIdentifier"):
        if _text(pid, "ProductIDType") in ("15", "03") and not isbn:
            isbn = _text(pid, "IDValue")
    provider_id = ref or isbn
    if _text(product, "NotificationType") == "05":
        return Deletion(provider_id)
    detail = _child(product, "DescriptiveDetail")
    title = subtitle = ""
    if detail is not None:
        for td in _children(detail, "TitleDetail"):
            if _text(td, "TitleType") not in ("", "01"):
                continue
            element = _child(td, "TitleElement")
            title = _text(element, "TitleText") or " ".join(
                x
                for x in (_text(element, "TitlePrefix"), _text(element, "TitleWithoutPrefix"))
                if x
            )
            subtitle = _text(element, "Subtitle")
            break
    contributors = []
    languages = []
    subjects = []
    audience = Audience.ALL
    kind = RecordType.EBOOK
    duration = None
    if detail is not None:
        for c in _children(detail, "Contributor"):
            name = (
                _text(c, "PersonName")
                or _text(c, "CorporateName")
                or _text(c, "PersonNameInverted")
            )
            role = _text(c, "ContributorRole")
            contributors.append({"name": name, "role": _ROLES.get(role, role)})
        for lang in _children(detail, "Language"):
            languages.append(_text(lang, "LanguageCode"))
        for s in _children(detail, "Subject"):
            subjects.append(_text(s, "SubjectHeadingText") or _text(s, "SubjectCode"))
        for a in _children(detail, "Audience"):
            code = _text(a, "AudienceCodeValue")
            if _text(a, "AudienceCodeType") == "01" and code in ("02", "03"):
                audience = Audience.YOUTH
            elif _text(a, "AudienceCodeType") == "01" and code == "04":
                audience = Audience.TEEN
        form = _text(detail, "ProductForm")
        if form.startswith("A") or _text(detail, "ProductFormDetail").startswith("A1"):
            kind = RecordType.AUDIOBOOK
        for extent in _children(detail, "Extent"):
            if _text(extent, "ExtentType") == "09" and _text(extent, "ExtentValue").isdigit():
                value = int(_text(extent, "ExtentValue"))
                unit = _text(extent, "ExtentUnit")
                duration = value // 60 if unit == "06" else value if unit == "05" else None
    description = cover = ""
    collateral = _child(product, "CollateralDetail")
    if collateral is not None:
        for tc in _children(collateral, "TextContent"):
            if _text(tc, "TextType") in ("02", "03") and not description:
                description = (
                    " ".join(_child(tc, "Text").itertext())
                    if _child(tc, "Text") is not None
                    else ""
                )
        for sr in _children(collateral, "SupportingResource"):
            if _text(sr, "ResourceContentType") == "01":
                cover = _text(sr, "ResourceVersion", "ResourceLink")
    year = None
    publishing = _child(product, "PublishingDetail")
    if publishing is not None:
        for pd in _children(publishing, "PublishingDate"):
            if _text(pd, "PublishingDateRole") in ("01", "19", ""):
                year = year_of(_text(pd, "Date"))
                break
    return Item(
        provider_id=provider_id,
        title=title,
        subtitle=subtitle,
        contributors=contributors,
        description=description,
        cover_url=cover,
        kind=kind,
        audience=audience,
        languages=languages,
        year=year,
        duration_minutes=duration,
        subjects=subjects,
        isbn=isbn,
        identifiers={"onix_reference": ref} if ref else {},
        source_payload=etree.tostring(product, encoding="unicode"),
    )


def read_products(stream, options: Options | None = None) -> Iterator[Item | Deletion | Rejection]:
    position = 0
    context = etree.iterparse(
        stream,
        events=("end",),
        recover=False,
        huge_tree=True,
        resolve_entities=False,
        no_network=True,
    )
    try:
        for _event, element in context:
            if not isinstance(element.tag, str) or _name(element) != "Product":
                continue
            position += 1
            try:
                found = product_to_item(element)
                found = found if isinstance(found, Deletion) else validated(found)
            except (ValueError, TypeError, AttributeError) as error:
                found = Rejection(
                    position,
                    str(error),
                    _text(element, "RecordReference"),
                    etree.tostring(element, encoding="unicode")[:500],
                )
            _KIDS.clear()
            yield found
            # Free what was read: the element and the siblings before it.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise SourceError(f"malformed XML: {error}") from None
    if position == 0:
        raise SourceError("no ONIX <Product> in this source")


class Onix(Format):
    name = "onix"
    label = "ONIX 3.0"

    def read(self, source: str, options: Options):
        with open_binary(source, options) as stream:
            yield from read_products(stream, options)
