"""The nightly import's file formats: CSV and JSON Lines, in UTF-8."""

import csv
import io
from collections.abc import Iterator

from sync.errors import ValidationFailed
from sync.intake.kinds import KINDS
from sync.intake.store import Kind
from sync.store import strict_json

FORMATS = ("csv", "jsonl")
# A cell may be as long as the file (the csv module's own limit, 131,072 characters, made a
# long cell an error of the module rather than a row refused by its field's length). The
# limit is the process's: the import is its only reader of CSV.
csv.field_size_limit(2**31 - 1)


def guess_format(filename: str) -> str | None:
    """The format its extension names (``.csv``; ``.jsonl`` or ``.ndjson``), if any."""
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return None


def guess_kind(filename: str) -> str | None:
    """The one kind the file's name starts with (``tenancies-2024-05-01.csv``), if any."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    matches = [k for k in KINDS if stem.startswith(k)]
    return matches[0] if len(matches) == 1 else None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"The file is not UTF-8 (byte {exc.start}).",
            code="bad-encoding",
            errors={"file": ["Not UTF-8."]},
        ) from None


def read_records(data: bytes, fmt: str, kind: Kind) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, raw row or None, problem) for each record of the file, read as they
    are wanted. Whole-file problems raise ``ValidationFailed`` at once."""
    text = _decode(data)
    if fmt == "csv":
        _check_quoting(text)
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        if not header:
            raise ValidationFailed(
                "The CSV file has no header row.",
                code="empty-file",
                errors={"file": ["No header row."]},
            )
        known = kind.row.fields
        unknown = [h for h in header if h not in known]
        if unknown:
            raise ValidationFailed(
                f"Unknown columns for {kind.name}: {', '.join(map(repr, unknown))}.",
                code="unknown-columns",
                errors={c: ["Unknown column."] for c in unknown},
            )
        if len(set(header)) != len(header):
            raise ValidationFailed(
                "The CSV header repeats a column.",
                code="unknown-columns",
                errors={"file": ["Repeated column name."]},
            )
        return _csv_rows(reader, header)
    return _jsonl_rows(text)


def _check_quoting(text: str) -> None:
    """The whole file's quoting, before any row is stored: a quoted cell never closed
    would take every row after it into itself, and text after a closing quote would be
    run on into the cell. Either refuses the file (``malformed-csv``), naming the line
    its record starts on; nothing is imported."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationFailed(
            f"Line {start}: the CSV's quoting is broken ({exc}): a quoted cell is never "
            "closed, or text follows its closing quote. Nothing was imported.",
            code="malformed-csv",
            errors={"file": [f"Line {start}: {exc}."]},
        ) from None


def _csv_rows(reader, header: list[str]) -> Iterator[tuple[int, dict | None, str]]:
    """Each record with the line it starts on (a quoted cell may run over lines)."""
    width = len(header)
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not cells:  # a blank line
            continue
        if len(cells) > width:
            yield line, None, "More cells than the header has columns."
            continue
        row = {k: v or None for k, v in zip(header, cells, strict=False)}  # empty: missing
        for k in header[len(cells) :]:
            row[k] = None
        yield line, row, ""


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict | None, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = strict_json.loads(line)
        except strict_json.InvalidJSON as exc:
            yield number, None, f"Not valid JSON: {exc}."
            continue
        if not isinstance(value, dict):
            yield number, None, "Each line must be a JSON object."
            continue
        yield number, value, ""
