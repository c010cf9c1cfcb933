"""Commune outlines, for the territory map: read from a GeoJSON file, kept simplified on
each commune, drawn as SVG paths.

A GeoJSON FeatureCollection of communes (each feature's `id` or `properties.insee` its
INSEE code; Polygon or MultiPolygon in WGS84 longitude/latitude) is rounded to about a
hundred metres and stored as text on the commune: « lon,lat lon,lat…|… », one ring per
part. That is plenty for a choropleth and keeps the department's 528 communes under
300 kB. The map projects them with an equirectangular projection around the drawn
area's middle latitude — at a department's scale the distortion is invisible.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from boite.networks.models import Authority

PRECISION = 4  # decimals of a degree kept: about 11 m
TOLERANCE = 0.001  # Douglas–Peucker tolerance in degrees: ~100 m, under a pixel of the map
MAP_WIDTH = 800

Ring = list[tuple[float, float]]


class OutlineFileError(ValueError):
    """The file as a whole cannot be read; nothing was changed."""


def _rings_of(geometry: dict) -> list[Ring]:
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    # The outer ring of each part: holes are other communes drawn on top anyway.
    return [[(float(x), float(y)) for x, y, *_rest in polygon[0]] for polygon in polygons]


def _distance(point, start, end) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def _douglas_peucker(points: Ring, tolerance: float) -> Ring:
    """The points that keep the line within `tolerance` of the original (iterative)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        far, index = 0.0, 0
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > far:
                far, index = d, i
        if far > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify(rings: list[Ring], tolerance: float = TOLERANCE) -> list[Ring]:
    kept = []
    for ring in rings:
        if len(ring) < 4:
            continue
        # A closed ring: simplify its two halves so that the closing point stays.
        middle = len(ring) // 2
        points = _douglas_peucker(ring[: middle + 1], tolerance)[:-1]
        points += _douglas_peucker(ring[middle:], tolerance)
        rounded: Ring = []
        for lon, lat in points:
            point = (round(lon, PRECISION), round(lat, PRECISION))
            if not rounded or point != rounded[-1]:
                rounded.append(point)
        if len(rounded) >= 4:
            kept.append(rounded)
    return kept


def encode(rings: list[Ring]) -> str:
    return "|".join(" ".join(f"{lon:g},{lat:g}" for lon, lat in ring) for ring in rings)


def decode(text: str) -> list[Ring]:
    return [
        [(float(x), float(y)) for x, y in (pair.split(",") for pair in ring.split())]
        for ring in text.split("|")
        if ring
    ]


def read_geojson(raw: bytes) -> dict[str, str]:
    """INSEE code → encoded outline, from a GeoJSON FeatureCollection."""
    try:
        document = json.loads(raw)
        features = document["features"]
    except (ValueError, KeyError, TypeError):
        raise OutlineFileError(_("The file is not a GeoJSON collection of features.")) from None
    outlines = {}
    for feature in features:
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            continue
        code = str((feature.get("properties") or {}).get("insee") or feature.get("id") or "")
        rings = simplify(_rings_of(feature["geometry"]))
        if code and rings:
            outlines[code] = encode(rings)
    if not outlines:
        raise OutlineFileError(_("The file holds no commune outline."))
    return outlines


def read_csv(raw: bytes) -> dict[str, str]:
    """INSEE code → encoded outline, from the project's own `insee,outline` file."""
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    return {row["insee"]: row["outline"] for row in reader if row.get("outline")}


@dataclass
class OutlineReport:
    updated: int
    unknown: int  # codes of the file that name no commune of the database


@transaction.atomic
def import_outlines(outlines: dict[str, str]) -> OutlineReport:
    communes = {
        a.code: a for a in Authority.objects.filter(kind=Authority.Kind.COMMUNE, code__in=outlines)
    }
    for code, commune in communes.items():
        commune.outline = outlines[code]
    Authority.objects.bulk_update(communes.values(), ["outline"], batch_size=500)
    return OutlineReport(updated=len(communes), unknown=len(outlines) - len(communes))


@dataclass(frozen=True)
class Shape:
    code: str
    path: str  # SVG path data in the map's coordinates


def project(outlines: dict[str, str], width: int = MAP_WIDTH) -> tuple[list[Shape], int]:
    """SVG paths of the given outlines, and the map's height for that width."""
    decoded = {code: decode(text) for code, text in outlines.items() if text}
    points = [p for rings in decoded.values() for ring in rings for p in ring]
    if not points:
        return [], 0
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((north + south) / 2))
    scale = width / max((east - west) * squeeze, 1e-9)
    height = round((north - south) * scale)
    shapes = []
    for code, rings in sorted(decoded.items()):
        parts = []
        for ring in rings:
            xy = [
                f"{(lon - west) * squeeze * scale:.1f} {(north - lat) * scale:.1f}"
                for lon, lat in ring
            ]
            parts.append("M" + "L".join(xy) + "Z")
        shapes.append(Shape(code, "".join(parts)))
    return shapes, height
