"""Keyset pagination: ``after`` is the last key of the previous page, never an offset."""

import re

MAX_LIMIT = 1000

_FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$")


def page(rows: list[dict], limit: int, key: str) -> dict:
    """Rows fetched with ``LIMIT limit + 1`` become one page and the key to continue after."""
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next_after": items[-1][key] if more else None}


def normalise_postcode(value: str) -> str:
    """``ba148ab`` -> ``BA14 8AB``; partial codes are upper-cased with single spaces."""
    text = " ".join(value.upper().split())
    compact = text.replace(" ", "")
    if _FULL_POSTCODE.match(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return text


def postcode_clause(value: str, column: str) -> tuple[str, list]:
    """Match a full postcode exactly, a sector (``BA14 8``) or an outward code (``BA14``)."""
    code = normalise_postcode(value)
    if _FULL_POSTCODE.match(code):
        return f"{column} = ?", [code]
    if " " in code:
        return f"{column} LIKE ? ESCAPE '\\'", [_escape_like(code) + "%"]
    return f"{column} LIKE ? ESCAPE '\\'", [_escape_like(code) + " %"]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
