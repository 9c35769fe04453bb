"""JSON parsing that refuses what SQLite and UTF-8 cannot store."""

import json


class InvalidJSON(ValueError):
    pass


def loads(text: str):
    """``json.loads`` that also refuses lone surrogates (``"\\ud800"``), nesting too deep
    to parse and numbers too long to convert, each as ``InvalidJSON`` with a reason."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise InvalidJSON("nested too deeply") from None
    except ValueError:
        raise InvalidJSON("a number is too long") from None
    try:
        # A lone surrogate in the value was in the text, or came from a \\u escape.
        if "\\u" in text:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        else:
            text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidJSON("text is not valid Unicode (a lone surrogate)") from None
    return value
