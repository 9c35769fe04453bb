"""JSON as it is stored: parsing that refuses what SQLite and UTF-8 cannot store, and
writing by orjson."""

import json
import re

import orjson

# A UTF-16 surrogate on its own: half a character (json.loads pairs the escapes of a
# whole one), which UTF-8, and so SQLite, cannot hold.
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidJSON(ValueError):
    pass


# Deeper than this no request nests: what is stored is written again by orjson (which
# stops at 254 levels) or by the standard library, whose recursion stops near 1,000
# levels less what the stack already holds, so a value that parsed could fail to store.
MAX_DEPTH = 200


def loads(text: str, *, repair: bool = False):
    """``json.loads`` that also refuses lone surrogates (``"\\ud800"``), nesting deeper
    than ``MAX_DEPTH``, numbers too long to convert or too large for a float, and NaN and
    Infinity, each as ``InvalidJSON`` with a reason. With ``repair``, a lone surrogate
    becomes U+FFFD, the replacement character, as a UTF-8 decoder shows a broken
    character: a phone's note cut mid-emoji is kept, not refused."""
    try:
        value = json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise InvalidJSON("nested too deeply") from None
    except InvalidJSON:
        raise
    except ValueError:
        raise InvalidJSON("a number is too long") from None
    # Only text with that many brackets can nest that deep: most requests skip the walk.
    if text.count("[") + text.count("{") > MAX_DEPTH and _deeper(value, MAX_DEPTH):
        raise InvalidJSON(f"nested more than {MAX_DEPTH} deep")
    try:
        # A lone surrogate in the value was in the text, or came from a \\u escape.
        if "\\u" in text:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        else:
            text.encode("utf-8")
    except UnicodeEncodeError:
        if not repair:
            raise InvalidJSON("text is not valid Unicode (a lone surrogate)") from None
        try:
            return _repaired(value)
        except RecursionError:
            raise InvalidJSON("nested too deeply") from None
    return value


def _deeper(value, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep (without
    recursion: it is the depth Python's own recursion cannot be trusted with)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _finite(text: str) -> float:
    """A number with a fraction or exponent; one too large for a float (``1e999``), which
    Python would read as infinity, is refused as the word is."""
    number = float(text)
    if number - number != 0:  # inf - inf is NaN
        raise InvalidJSON(f"{text[:20]} is too large a number")
    return number


def _not_json(name: str):
    """NaN and Infinity, which Python reads and JSON does not have (RFC 8259): no value
    SQLite's JSON functions, or another system, could read back."""
    raise InvalidJSON(f"{name} is not a JSON value")


def _repaired(value):
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_repaired(v) for v in value]
    if isinstance(value, dict):
        return {_repaired(k): _repaired(v) for k, v in value.items()}
    return value


def dumps(value, sort_keys: bool = False) -> bytes:
    """JSON as UTF-8, by orjson (the hot path); what orjson refuses (integers past 64 bits,
    nesting past 254 levels: only ever in malformed mutations) by the standard library."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
        return text.encode()


def dumps_text(value) -> str:
    try:  # orjson at once: the hot path writes a few of these a mutation
        return orjson.dumps(value).decode()
    except TypeError:
        return dumps(value).decode()
