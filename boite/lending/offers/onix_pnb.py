"""Dilicom PNB offers: ONIX 3.0 products, each with its PNB order line.

Dilicom sends the contractor's offers as an ONIX 3.0 message (reference tags, namespace
`http://ns.editeur.org/onix/3.0/reference`, or without namespace). Each <Product> describes
the title (EAN in <ProductIdentifier> type 03 or 15, <TitleText>, <ProductForm> ED/EA for
an e-book, AJ/AN for a downloadable audiobook, <PriceAmount>) and carries the terms bought in
a <pnb:OrderLine> of namespace `http://www.dilicom.net/pnb/offer`:

    orderLineId              the licence's id at Dilicom (used by every loan call)
    orderDate                start of validity (YYYY-MM-DD)
    nbLoans                  loans bought
    loanNbSimultaneousUsers  simultaneous loans allowed
    loanMaxDuration          maximum loan length, in days
    offerValidity            validity, in months from orderDate (0 or absent: no end)

<NotificationType> 05 withdraws the order line (delta files). The file is read with lxml
`iterparse`, one product at a time, and each product is freed once read: memory does not
grow with the file.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.utils import timezone
from lxml import etree

from boite.lending.offers.base import Offer, OfferFileError, OfferProblem, valid_ean

ONIX = "http://ns.editeur.org/onix/3.0/reference"
PNB = "http://www.dilicom.net/pnb/offer"
_PRODUCT_TAGS = (f"{{{ONIX}}}Product", "Product")


def read_offers(source: str | BinaryIO) -> Iterator[Offer | OfferProblem]:
    """Offers and problems of one file; raises OfferFileError when the file is not ONIX."""
    parser = etree.iterparse(
        source,
        events=("end",),
        tag=(*_PRODUCT_TAGS, f"{{{ONIX}}}ONIXMessage", "ONIXMessage"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    seen_message = False
    position = 0
    try:
        for _event, element in parser:
            if etree.QName(element).localname == "ONIXMessage":
                seen_message = True
                continue
            position += 1
            yield _read_product(element, position)
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        raise OfferFileError(f"not well-formed XML: {error}") from None
    if not seen_message:
        raise OfferFileError("no ONIXMessage element: not an ONIX 3.0 file")


def _text(element, *path: str) -> str:
    """Text of the first descendant along the path (reference tags, with or without ns)."""
    for namespace in (ONIX, None):
        xpath = "/".join(f"{{{namespace}}}{p}" if namespace else p for p in path)
        found = element.find(xpath)
        if found is not None and found.text:
            return found.text.strip()
    return ""


def _pnb(order_line, name: str) -> str:
    found = order_line.find(f"{{{PNB}}}{name}")
    return found.text.strip() if found is not None and found.text else ""


def _read_product(product, position: int) -> Offer | OfferProblem:
    reference = _text(product, "RecordReference") or f"#{position}"
    where = f"Product {reference}"
    ean = ""
    for identifier in product.iter(f"{{{ONIX}}}ProductIdentifier", "ProductIdentifier"):
        if _text(identifier, "ProductIDType") in ("03", "15"):
            ean = _text(identifier, "IDValue").replace("-", "")
            break
    order_line = product.find(f"{{{PNB}}}OrderLine")
    if order_line is None:
        return OfferProblem(where, "no PNB order line (pnb:OrderLine)")
    key = _pnb(order_line, "orderLineId")
    if not key:
        return OfferProblem(where, "order line without orderLineId")
    where = f"order line {key}"
    if _text(product, "NotificationType") == "05":
        return Offer(key=key, ean=ean, withdrawn=True)
    if not valid_ean(ean):
        return OfferProblem(where, f"invalid EAN {ean!r}")
    try:
        loans = _count(order_line, "nbLoans")
        concurrent = _count(order_line, "loanNbSimultaneousUsers", minimum=1)
        length = _count(order_line, "loanMaxDuration", minimum=1)
        validity = _count(order_line, "offerValidity", required=False)
        start = date.fromisoformat(_pnb(order_line, "orderDate"))
    except ValueError as error:
        return OfferProblem(where, str(error))
    form = _text(product, "DescriptiveDetail", "ProductForm")
    price_text = _text(product, "ProductSupply", "SupplyDetail", "Price", "PriceAmount")
    try:
        price = Decimal(price_text) if price_text else None
    except InvalidOperation:
        return OfferProblem(where, f"price is not a number: {price_text!r}")
    valid_from = timezone.make_aware(datetime.combine(start, time.min))
    return Offer(
        key=key,
        ean=ean,
        title=_text(product, "DescriptiveDetail", "TitleDetail", "TitleElement", "TitleText"),
        audiobook=form.startswith("A"),
        loans_total=loans,
        concurrent_max=concurrent,
        loan_max_days=length,
        valid_from=valid_from,
        valid_until=_add_months(valid_from, validity) if validity else None,
        price=price,
    )


def _count(order_line, name: str, *, minimum: int = 0, required: bool = True) -> int | None:
    text = _pnb(order_line, name)
    if not text:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if not text.isdigit() or int(text) < minimum or int(text) > 1_000_000:
        raise ValueError(f"{name} is not a count: {text!r}")
    return int(text)


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
