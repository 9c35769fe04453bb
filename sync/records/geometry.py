"""Patch boundaries: GeoJSON polygons in WGS84 (longitude, latitude), checked with shapely."""

import json

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from sync.errors import ValidationFailed

UK_BOUNDS = (-8.7, 49.8, 1.9, 60.9)  # lon/lat box around Great Britain and Northern Ireland


def parse_boundary(geojson: dict, field: str = "boundary") -> Polygon | MultiPolygon:
    """A valid (Multi)Polygon from GeoJSON, or ``ValidationFailed`` naming ``field``."""
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationFailed(
            "A boundary must be a GeoJSON Polygon or MultiPolygon.",
            errors={field: ["Must be a GeoJSON Polygon or MultiPolygon."]},
        )
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValidationFailed(
            f"The boundary's coordinates are malformed: {exc}.",
            errors={f"{field}.coordinates": ["Malformed coordinates."]},
        ) from None
    if geom.is_empty or not geom.is_valid:
        reason = shapely.is_valid_reason(geom) if not geom.is_empty else "empty"
        raise ValidationFailed(
            f"The boundary is not a valid polygon ({reason}).",
            errors={field: [f"Invalid polygon: {reason}."]},
        )
    minx, miny, maxx, maxy = geom.bounds
    lo_x, lo_y, hi_x, hi_y = UK_BOUNDS
    if minx < lo_x or maxx > hi_x or miny < lo_y or maxy > hi_y:
        raise ValidationFailed(
            "The boundary lies outside the UK. Coordinates are [longitude, latitude].",
            errors={f"{field}.coordinates": ["Outside the UK; use [longitude, latitude]."]},
        )
    return geom


def dump_boundary(geom) -> str:
    return json.dumps(mapping(geom))


class PatchIndex:
    """Which patches contain a point, for many points at once."""

    def __init__(self, patches: list[tuple[int, str]]):
        self.ids = [pid for pid, _ in patches]
        self.geoms = [shape(json.loads(boundary)) for _, boundary in patches]
        for g in self.geoms:
            shapely.prepare(g)

    def assign(self, points: list[tuple[float, float]]) -> list[list[int]]:
        """For each (longitude, latitude), the ids of the patches covering it."""
        if not points:
            return []
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        result: list[list[int]] = [[] for _ in points]
        for pid, geom in zip(self.ids, self.geoms, strict=True):
            inside = shapely.intersects_xy(geom, xs, ys)
            for i in inside.nonzero()[0]:
                result[i].append(pid)
        return result
