"""Readers of provider usage reports: COUNTER Release 5 and 5.1 (JSON and TSV) and a
simple CSV for providers without COUNTER, and the import that stores them.

Each reader turns bytes into a `ParsedReport` or raises `ReportError` with a
translated message; `import_report()` checks the header against the provider account
and the periods already stored, then writes everything in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from boite.stats.models import CounterMetric, CounterReport, ProviderAccount

RELEASES = ("5", "5.1")
REPORT_IDS = ("TR", "PR", "DR", "IR")
CSV_REPORT_ID = "CSV"
METRICS = (
    "Total_Item_Investigations",
    "Unique_Item_Investigations",
    "Unique_Title_Investigations",
    "Total_Item_Requests",
    "Unique_Item_Requests",
    "Unique_Title_Requests",
    "Searches_Regular",
    "Searches_Automated",
    "Searches_Federated",
    "Searches_Platform",
    "No_License",
    "Limit_Exceeded",
)
_METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z_]{0,49}$")
_MAX_COUNT = 10**12
_NAME_KEYS = {"TR": "Title", "DR": "Database", "PR": "Platform", "IR": "Item"}
_MONTH_COLUMN = re.compile(r"^([A-Z][a-z]{2})-(\d{4}|\d{2})$")  # Jan-2026, or Jan-26
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ReportError(ValueError):
    """A report that cannot be imported; the message is translated and says why."""


@dataclass(frozen=True)
class Row:
    month: date
    metric: str
    count: int
    item: str = ""
    item_id: str = ""
    platform: str = ""
    data_type: str = ""
    access_type: str = ""


@dataclass
class ParsedReport:
    release: str
    report_id: str
    customer_ids: set[str]
    begin: date
    end: date
    rows: list[Row] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)

    def total(self, metric: str) -> int:
        return sum(r.count for r in self.rows if r.metric == metric)


# -- small readers -----------------------------------------------------------------


def _parse_day(text: object, *, end: bool = False) -> date:
    """A day written YYYY-MM-DD or a month YYYY-MM (its first or last day)."""
    text = str(text).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            first = date.fromisoformat(text + "-01")
            return _month_end(first) if end else first
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(_("« %(text)s » is not a date.") % {"text": text[:40]}) from None


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _count(value: object) -> int:
    if isinstance(value, bool):
        raise ReportError(_("A count is not a whole number: « %(value)s ».") % {"value": value})
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"\d{1,13}", text):
            raise ReportError(
                _("A count is not a whole number: « %(value)s ».") % {"value": text[:40]}
            )
        number = int(text)
    if not 0 <= number < _MAX_COUNT:
        raise ReportError(_("A count is out of range: %(value)s.") % {"value": number})
    return number


def _metric(name: object) -> str:
    name = str(name).strip()
    if not _METRIC_NAME.match(name):
        raise ReportError(_("« %(name)s » is not a metric name.") % {"name": name[:60]})
    return name


def _text(value: object, length: int) -> str:
    return str(value or "").strip()[:length]


def _report_id(raw: object) -> str:
    """TR, PR, DR or IR; standard views (TR_B1, PR_P1…) count as their master report."""
    text = str(raw or "").strip().upper()
    base = text.split("_", 1)[0]
    if base not in REPORT_IDS:
        raise ReportError(
            _("« %(report)s » is not a COUNTER report this portal reads (TR, PR, DR, IR).")
            % {"report": text[:20]}
        )
    return base


def _release(raw: object) -> str:
    text = str(raw or "").strip()
    if text not in RELEASES:
        raise ReportError(
            _("This report is COUNTER release « %(release)s »; only releases 5 and 5.1 are read.")
            % {"release": text[:20]}
        )
    return text


def _check_period(report: ParsedReport) -> ParsedReport:
    if report.begin > report.end:
        raise ReportError(_("The reporting period ends before it begins."))
    if (report.end - report.begin).days > 3 * 366:
        raise ReportError(_("The reporting period is longer than three years."))
    for row in report.rows:
        if not report.begin.replace(day=1) <= row.month <= report.end:
            raise ReportError(
                _("Usage for %(month)s lies outside the reporting period.")
                % {"month": row.month.strftime("%Y-%m")}
            )
    return report


# -- COUNTER JSON ------------------------------------------------------------------


def _ids_r5(value: object) -> str:
    """Item_ID: a list of {Type, Value} in R5, an object {Type: value} in R5.1."""
    if isinstance(value, list):
        pairs = [(i.get("Type", ""), i.get("Value", "")) for i in value if isinstance(i, dict)]
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        return ""
    return _text(" ".join(f"{k}:{v}" for k, v in pairs if v), 200)


def _filters(header: dict) -> dict:
    filters = header.get("Report_Filters") or {}
    if isinstance(filters, list):  # R5: [{"Name": "Begin_Date", "Value": "…"}]
        return {f.get("Name"): f.get("Value") for f in filters if isinstance(f, dict)}
    if isinstance(filters, dict):
        return filters
    raise ReportError(_("The report header's filters are not readable."))


def _customer_ids_json(header: dict) -> set[str]:
    ids = {str(header.get("Customer_ID") or "").strip()}
    institution = header.get("Institution_ID")
    if isinstance(institution, list):
        ids |= {str(i.get("Value", "")).strip() for i in institution if isinstance(i, dict)}
    elif isinstance(institution, dict):
        for value in institution.values():
            ids |= {str(v).strip() for v in (value if isinstance(value, list) else [value])}
    return ids - {""}


def read_json(data: bytes) -> ParsedReport:
    """A COUNTER R5/R5.1 JSON report. SUSHI exceptions are read first, wherever the
    provider put them: an answer that is only exceptions, or whose exceptions stop the
    report (service, authorisation, « queued »…, or a header without usable report), is a
    `SushiException` with every code told in words; warnings beside real usage are kept
    in `exceptions`."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ReportError(_("The file is not valid JSON.")) from None
    document = _unwrap(document)
    exceptions = sushi_exceptions(document)
    if any(_stops_report(e["code"]) for e in exceptions):
        raise SushiException(exceptions)
    if not isinstance(document, dict) or not isinstance(document.get("Report_Header"), dict):
        if exceptions:
            raise SushiException(exceptions)
        raise ReportError(_("The file has no COUNTER report header (Report_Header)."))
    if any(e["code"] in _STOPPING for e in exceptions) and not document.get("Report_Items"):
        raise SushiException(exceptions)  # a header that says why there is no usage
    header = document["Report_Header"]
    release = _release(header.get("Release"))
    report_id = _report_id(header.get("Report_ID"))
    filters = {_FILTER_NAMES.get(str(k).lower(), k): v for k, v in _filters(header).items()}
    if "Begin_Date" not in filters or "End_Date" not in filters:
        raise ReportError(_("The report header gives no reporting period (Begin_Date, End_Date)."))
    report = ParsedReport(
        release=release,
        report_id=report_id,
        customer_ids=_customer_ids_json(header),
        begin=_parse_day(filters["Begin_Date"]),
        end=_parse_day(filters["End_Date"], end=True),
        exceptions=exceptions,
    )
    items = document.get("Report_Items") or []
    if not isinstance(items, list):
        raise ReportError(_("Report_Items is not a list."))
    reader = _items_r51 if release == "5.1" else _items_r5
    for item in items:
        if not isinstance(item, dict):
            raise ReportError(_("An item of the report is not an object."))
        report.rows.extend(reader(item, report_id, parent={}))
    return _check_period(report)


def _describe(item: dict, report_id: str, parent: dict) -> dict:
    name = item.get(_NAME_KEYS[report_id]) or item.get("Title") or parent.get("item", "")
    return {
        "item": _text(name, 500),
        "item_id": _ids_r5(item.get("Item_ID")) or parent.get("item_id", ""),
        "platform": _text(item.get("Platform") or parent.get("platform"), 200),
        "data_type": _text(item.get("Data_Type") or parent.get("data_type"), 50),
        "access_type": _text(item.get("Access_Type") or parent.get("access_type"), 50),
    }


def _items_r5(item: dict, report_id: str, parent: dict) -> list[Row]:
    described = _describe(item, report_id, parent)
    rows = []
    performance = item.get("Performance") or []
    if not isinstance(performance, list):
        raise ReportError(_("The usage of an item (Performance) is not a list."))
    for period in performance:
        try:
            month = _parse_day(period["Period"]["Begin_Date"]).replace(day=1)
            instances = period["Instance"]
            for instance in instances:
                rows.append(
                    Row(
                        month=month,
                        metric=_metric(instance["Metric_Type"]),
                        count=_count(instance["Count"]),
                        **described,
                    )
                )
        except (KeyError, TypeError):
            raise ReportError(
                _("The usage of « %(item)s » is incomplete (Period, Instance, Metric_Type, Count).")
                % {"item": described["item"][:80]}
            ) from None
    return rows


def _items_r51(item: dict, report_id: str, parent: dict) -> list[Row]:
    described = _describe(item, report_id, parent)
    rows = []
    for child in item.get("Items") or []:  # IR 5.1 groups items under their parent
        if not isinstance(child, dict):
            raise ReportError(_("An item of the report is not an object."))
        rows.extend(_items_r51(child, report_id, described))
    attributes = item.get("Attribute_Performance") or []
    if not isinstance(attributes, list):
        raise ReportError(_("The usage of an item (Attribute_Performance) is not a list."))
    for attribute in attributes:
        try:
            more = {
                **described,
                "data_type": _text(attribute.get("Data_Type") or described["data_type"], 50),
                "access_type": _text(attribute.get("Access_Type") or described["access_type"], 50),
            }
            for metric, months in attribute["Performance"].items():
                for month, count in months.items():
                    rows.append(
                        Row(
                            month=_parse_day(month).replace(day=1),
                            metric=_metric(metric),
                            count=_count(count),
                            **more,
                        )
                    )
        except (KeyError, TypeError, AttributeError):
            raise ReportError(
                _("The usage of « %(item)s » is incomplete (Performance by metric and month).")
                % {"item": described["item"][:80]}
            ) from None
    return rows


# -- COUNTER TSV -------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError(_("The file is not UTF-8 text.")) from None


def _period_tsv(text: str) -> tuple[date, date]:
    parts = dict(p.strip().split("=", 1) for p in text.replace(";", "|").split("|") if "=" in p)
    if "Begin_Date" not in parts or "End_Date" not in parts:
        raise ReportError(_("The report header gives no reporting period (Begin_Date, End_Date)."))
    return _parse_day(parts["Begin_Date"]), _parse_day(parts["End_Date"], end=True)


def read_tsv(data: bytes) -> ParsedReport:
    try:
        lines = list(csv.reader(io.StringIO(_decode(data), newline=""), delimiter="\t"))
    except csv.Error:
        raise ReportError(_("The file is not a tab-separated COUNTER report.")) from None
    header: dict[str, str] = {}
    index = 0
    while index < len(lines) and lines[index] and lines[index][0].strip():
        cells = lines[index]
        if cells[0].strip() in ("Title", "Database", "Platform", "Item") and len(cells) > 3:
            break
        header[cells[0].strip()] = cells[1].strip() if len(cells) > 1 else ""
        index += 1
    while index < len(lines) and not (lines[index] and lines[index][0].strip()):
        index += 1
    if "Report_ID" not in header or "Release" not in header:
        raise ReportError(_("The file has no COUNTER header (Report_ID, Release)."))
    release = _release(header["Release"])
    report_id = _report_id(header["Report_ID"])
    begin, end = _period_tsv(header.get("Reporting_Period", ""))
    customer_ids = set()
    for part in re.split(r"[;|]", header.get("Institution_ID", "")):
        part = part.strip()
        if part:
            customer_ids |= {part, part.split(":", 1)[-1].strip(), part.rsplit(":", 1)[-1].strip()}
    if header.get("Customer_ID"):
        customer_ids.add(header["Customer_ID"])
    report = ParsedReport(release, report_id, customer_ids, begin, end)
    if index >= len(lines):
        return _check_period(report)
    columns = [c.strip() for c in lines[index]]
    if "Metric_Type" not in columns:
        raise ReportError(_("The table of the report has no Metric_Type column."))
    months = {}
    for position, name in enumerate(columns):
        match = _MONTH_COLUMN.match(name)
        if match and match.group(1) in _MONTHS:
            year = int(match.group(2))
            year += 2000 if year < 100 else 0
            months[position] = date(year, _MONTHS.index(match.group(1)) + 1, 1)
    if not months:
        raise ReportError(_("The table of the report has no month column (e.g. Jan-2025)."))
    name_column = columns[0]
    id_columns = [
        c for c in ("DOI", "Proprietary_ID", "ISBN", "Print_ISSN", "Online_ISSN") if c in columns
    ]
    for number, cells in enumerate(lines[index + 1 :], start=index + 2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            raise ReportError(
                _("Line %(line)s has %(found)s cells where the header has %(expected)s.")
                % {"line": number, "found": len(cells), "expected": len(columns)}
            )
        values = dict(zip(columns, cells, strict=True))
        described = {
            "item": _text(values[name_column], 500),
            "item_id": _text(
                " ".join(f"{c}:{values[c]}" for c in id_columns if values[c].strip()), 200
            ),
            "platform": _text(values.get("Platform"), 200),
            "data_type": _text(values.get("Data_Type"), 50),
            "access_type": _text(values.get("Access_Type"), 50),
        }
        metric = _metric(values["Metric_Type"])
        for position, month in months.items():
            if cells[position].strip() == "":
                continue
            report.rows.append(
                Row(month=month, metric=metric, count=_count(cells[position]), **described)
            )
    return _check_period(report)


# -- simple CSV --------------------------------------------------------------------

CSV_COLUMNS = ("month", "item", "metric", "count")


def read_simple_csv(data: bytes) -> ParsedReport:
    """`month,item,metric,count` (month YYYY-MM; metric empty means Total_Item_Requests);
    commas or semicolons. The period runs from the first month to the last."""
    text = _decode(data)
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
    except csv.Error:
        raise ReportError(_("The file is not a CSV file.")) from None
    if any(c not in columns for c in ("month", "item", "count")):
        raise ReportError(_("The CSV file must have the columns month, item, metric and count."))
    rows = []
    try:
        raw_rows = list(reader)
    except csv.Error:
        raise ReportError(_("The file is not a CSV file.")) from None
    for number, raw in enumerate(raw_rows, start=2):
        values = {(k or "").strip().lower(): (v or "") for k, v in raw.items()}
        if not any(v.strip() for v in values.values()):
            continue
        try:
            month = _parse_day(values["month"]).replace(day=1)
            rows.append(
                Row(
                    month=month,
                    metric=_metric(values.get("metric", "").strip() or "Total_Item_Requests"),
                    count=_count(values["count"]),
                    item=_text(values["item"], 500),
                )
            )
        except ReportError as error:
            raise ReportError(
                _("Line %(line)s: %(error)s") % {"line": number, "error": error}
            ) from None
    if not rows:
        raise ReportError(_("The CSV file has no usage line."))
    months = [r.month for r in rows]
    return ParsedReport("", CSV_REPORT_ID, set(), min(months), _month_end(max(months)), rows)


# -- which reader --------------------------------------------------------------------


def read_report(data: bytes, filename: str = "") -> ParsedReport:
    """Pick the reader from the content: JSON, a COUNTER TSV header, or simple CSV."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if start[:1] in (b"{", b"[", b'"'):
        return read_json(data)
    if start[:1] == b"<":
        return read_soap(data)
    if start.startswith((b"Report_Name", b"Report_ID", b'"Report_Name"')) or b"\t" in start:
        return read_tsv(data)
    if not start:
        raise ReportError(_("The file is empty."))
    return read_simple_csv(data)


# -- SUSHI exceptions ----------------------------------------------------------------

# Told by code (COUNTER_SUSHI5 API, COUNTER 5 and 5.1 Appendix F); the provider's own text
# is shown only for codes not listed here.
_KNOWN_EXCEPTIONS = {
    1000: gettext_noop("The provider's service is not available."),
    1001: gettext_noop("The provider's service is unavailable for a while; try again later."),
    1010: gettext_noop("The provider's service is busy; try again later."),
    1011: gettext_noop("The provider has queued the report; it will be fetched next time."),
    1020: gettext_noop("Too many requests were sent to the provider; try again later."),
    1030: gettext_noop("The provider says the request lacks information (check the customer ID)."),
    2000: gettext_noop("The provider refused the requestor ID: it is not authorised."),
    2010: gettext_noop("The requestor is not authorised to read the usage of this customer."),
    2011: gettext_noop("The provider does not offer reports for all its customers at once."),
    2020: gettext_noop("The provider refused the API key."),
    2030: gettext_noop("The provider does not accept requests from the portal's IP address."),
    3000: gettext_noop("The provider does not offer this report."),
    3010: gettext_noop("The provider does not offer this version of the report."),
    3020: gettext_noop("The provider refused the requested months (invalid dates)."),
    3030: gettext_noop("The provider has no usage for the requested months."),
    3031: gettext_noop("The usage of the requested months is not ready yet."),
    3032: gettext_noop("The usage of the requested months is no longer available."),
    3040: gettext_noop("The provider sent only part of the usage of the requested months."),
    3050: gettext_noop("The provider did not recognise a parameter of the request."),
    3060: gettext_noop("The provider refused a filter of the request."),
    3061: gettext_noop("The provider found filters of the request that contradict each other."),
    3062: gettext_noop("The provider refused an attribute of the request."),
    3063: gettext_noop("The provider does not report item components."),
    3070: gettext_noop("The provider needs a filter the request did not give."),
    3071: gettext_noop("The provider needs an attribute the request did not give."),
    3080: gettext_noop("The request asked for more than the provider's limit."),
}
# Codes after which there is no report to read (the rest are warnings beside usage).
_STOPPING = {3000, 3010, 3020, 3030, 3031, 3032, 3060, 3061, 3062, 3070, 3071, 3080}
# Try again later, with the same request.
RETRY_LATER = {1001, 1010, 1011, 1020}
_FILTER_NAMES = {"begin_date": "Begin_Date", "end_date": "End_Date"}


def _stops_report(code: int) -> bool:
    return code < 3000


def _unwrap(document: object) -> object:
    """What some providers and harvesters send around the report: the whole report as a
    JSON string, or `{"body": report, "response": {…}}` (ProQuest through a proxy)."""
    for _depth in range(3):
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except (json.JSONDecodeError, RecursionError):
                return document
            continue
        if isinstance(document, dict) and "body" in document and "Report_Header" not in document:
            body, response = document.get("body"), document.get("response")
            if body is None and isinstance(response, dict):
                return response  # {"number": 1001, "message": …}: an exception alone
            document = body
            continue
        break
    return document


def _exception(candidate: object) -> dict | None:
    """One exception, whatever the case of its keys (`Code`, `code`, `number`, COUNTER 4's
    `Number`) and whether its code is a number or a string."""
    if not isinstance(candidate, dict):
        return None
    keys = {str(k).lower(): v for k, v in candidate.items()}
    raw = keys.get("code", keys.get("number"))
    if isinstance(raw, bool):
        return None
    try:
        code = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return {"code": code, "message": _text(keys.get("message"), 300)}


def sushi_exceptions(document: object) -> list[dict]:
    """The SUSHI exceptions of an answer: a bare exception, a list of them, the
    `Exceptions` (or a single `Exception`) of the report header or beside it."""
    if isinstance(document, list):
        candidates = document
    elif isinstance(document, dict):
        header = document.get("Report_Header")
        header = header if isinstance(header, dict) else {}
        candidates = []
        for holder in (document, header):
            for key in ("Exceptions", "Exception", "exceptions", "exception"):
                found = holder.get(key)
                candidates += found if isinstance(found, list) else [found]
        if not header and "Report_Items" not in document:
            candidates.append(document)
    else:
        candidates = []
    found = [_exception(c) for c in candidates]
    return [e for e in found if e is not None]


def read_soap(data: bytes) -> ParsedReport:
    """A COUNTER 4 / SUSHI SOAP answer (SOAP 1.1 or 1.2, any namespace spelling): its
    exceptions are told in words; a COUNTER 4 report itself is not read."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise ReportError(_("The file is not well-formed XML.")) from None
    exceptions = []
    for element in root.iter("{*}Exception"):
        number = element.find("{*}Number")
        message = element.find("{*}Message")
        found = _exception(
            {
                "Number": number.text if number is not None else None,
                "Message": message.text if message is not None else "",
            }
        )
        if found:
            exceptions.append(found)
    if exceptions:
        raise SushiException(exceptions)
    raise ReportError(_("This is a COUNTER 4 report; only releases 5 and 5.1 are read."))


def describe_exception(exception: dict) -> str:
    known = _KNOWN_EXCEPTIONS.get(exception["code"])
    if known:
        return _(known) + f" ({exception['code']})"
    return _("The provider answered with exception %(code)s: %(message)s") % exception


class SushiException(ReportError):
    """An answer whose SUSHI exceptions leave no report to import."""

    def __init__(self, exceptions: list[dict]) -> None:
        self.exceptions = exceptions
        super().__init__(" ".join(describe_exception(e) for e in exceptions))

    @property
    def codes(self) -> set[int]:
        return {e["code"] for e in self.exceptions}

    @property
    def retry_later(self) -> bool:
        return bool(self.codes & RETRY_LATER)


# -- import --------------------------------------------------------------------------


@dataclass
class ImportResult:
    report: CounterReport
    replaced: list[str]


def overlapping(account: ProviderAccount, report_id: str, begin: date, end: date):
    return CounterReport.objects.filter(
        network=account.network,
        provider=account.provider,
        report_id=report_id,
        begin__lte=end,
        end__gte=begin,
    )


def import_report(
    account: ProviderAccount,
    parsed: ParsedReport,
    *,
    replace: bool = False,
    source: str = CounterReport.Source.UPLOAD,
    filename: str = "",
    user=None,
) -> ImportResult:
    """Store a parsed report for the account, or raise ReportError and store nothing."""
    if parsed.report_id != CSV_REPORT_ID:
        if not account.customer_id:
            raise ReportError(
                _("Enter the customer ID of the provider account before importing COUNTER reports.")
            )
        if account.customer_id not in parsed.customer_ids:
            raise ReportError(
                _(
                    "This report is for another customer (%(found)s), not for "
                    "« %(expected)s »: nothing was imported."
                )
                % {
                    "found": ", ".join(sorted(parsed.customer_ids))[:100] or "?",
                    "expected": account.customer_id,
                }
            )
    with transaction.atomic():
        clashes = list(
            overlapping(account, parsed.report_id, parsed.begin, parsed.end).select_for_update()
        )
        if clashes and not replace:
            raise ReportError(
                _(
                    "A %(report)s report of %(provider)s already covers %(periods)s. "
                    "Tick « replace » to replace it: nothing was imported."
                )
                % {
                    "report": parsed.report_id,
                    "provider": account.name,
                    "periods": ", ".join(_period_label(c.begin, c.end) for c in clashes),
                }
            )
        replaced = [_period_label(c.begin, c.end) for c in clashes]
        CounterReport.objects.filter(pk__in=[c.pk for c in clashes]).delete()
        report = CounterReport.objects.create(
            network=account.network,
            provider=account.provider,
            report_id=parsed.report_id,
            release=parsed.release,
            customer_id=account.customer_id if parsed.report_id != CSV_REPORT_ID else "",
            begin=parsed.begin,
            end=parsed.end,
            source=source,
            filename=filename[:200],
            imported_by=user,
        )
        CounterMetric.objects.bulk_create(
            (
                CounterMetric(
                    report=report,
                    month=r.month,
                    item=r.item,
                    item_id=r.item_id,
                    platform=r.platform,
                    data_type=r.data_type,
                    access_type=r.access_type,
                    metric=r.metric,
                    count=r.count,
                )
                for r in parsed.rows
                if r.count
            ),
            batch_size=2000,
        )
    return ImportResult(report, replaced)


def _period_label(begin: date, end: date) -> str:
    return f"{begin:%Y-%m} – {end:%Y-%m}"
