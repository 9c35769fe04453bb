"""Shared marshmallow fields (used by import rows and by the API schemas)."""

import re

from marshmallow import ValidationError, fields

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")


class Postcode(fields.String):
    """A full UK postcode, normalised to upper case with one space (``BA14 8AB``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        compact = "".join(text.upper().split())
        if not _POSTCODE.match(compact):
            raise ValidationError("Not a valid UK postcode.")
        return f"{compact[:-3]} {compact[-3:]}"


class CodeList(fields.List):
    """A list of codes; in CSV, one cell separated by semicolons (``a;b``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed; blank counts as missing."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Must not be blank.")
        return text
