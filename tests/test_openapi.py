"""The OpenAPI document is valid, and says what the code does: the types a pull carries
and the kinds and ops a push takes come from the registries that define them, and the
protocol's docs list the same."""

import re
from pathlib import Path

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from sync import kinds

DOCS = Path(__file__).parent.parent / "docs"


def schemas_in(node, path="$"):
    """Every JSON Schema in the document: whatever sits under a ``schema`` key or in
    ``components.schemas``, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict):
                yield f"{path}.{key}", value
            elif key == "schemas" and path == "$.components":
                for name, schema in value.items():
                    yield f"{path}.schemas.{name}", schema
            else:
                yield from schemas_in(value, f"{path}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from schemas_in(value, f"{path}[{n}]")


def types_in(schema, path):
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), list):
            yield path, schema["type"]
        for key, value in schema.items():
            yield from types_in(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for n, value in enumerate(schema):
            yield from types_in(value, f"{path}[{n}]")


def test_the_document_is_valid_openapi_and_json_schema(client):
    """Found by probing: Push.cursor's type was ["string", "null", "null"], which no
    tool (schemathesis among them) would accept."""
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    for path, schema in schemas_in(spec):
        Draft202012Validator.check_schema(schema)
        for where, types in types_in(schema, path):
            assert len(types) == len(set(types)), f"{where}: {types}"


def test_enums_come_from_the_registries(client):
    """Found by probing: a pull's ``type`` listed 7 of the 12 types it carries."""
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    change = schemas["Pull"]["properties"]["changes"]["items"]["properties"]
    assert change["type"]["enum"] == list(kinds.KINDS)
    mutation = schemas["Push"]["properties"]["mutations"]["items"]["properties"]
    assert mutation["entity_type"]["enum"] == list(kinds.pushed())
    assert set(mutation["op"]["enum"]) == {op for k in kinds.pushed().values() for op in k.ops}


def test_the_protocol_docs_list_every_type_and_kind():
    text = (DOCS / "sync-protocol.md").read_text()
    held = text.split("## What a phone holds")[1].split("\n## ")[0]
    assert re.findall(r"^\| `(\w+)` \|", held, re.M) == list(kinds.KINDS)
    ops = text.split("### Ops by kind")[1].split("\n#")[0]
    documented = {
        kind: set(re.findall(r"`(\w+)`", cell))
        for kind, cell in re.findall(r"^\| `(\w+)` \| ([^|]+) \|", ops, re.M)
    }
    assert documented == {name: set(kind.ops) for name, kind in kinds.pushed().items()}


def test_the_officer_app_names_every_kind_and_op():
    """The sync screen's words for what is waiting (server/web/officer/status.js)."""
    js = (Path(__file__).parent.parent / "server/web/officer/status.js").read_text()
    labels = js.split("const KINDS = {")[1].split("};")[0]
    named = set(re.findall(r'"(\w+ \w+)":', labels))
    assert named == {f"{name} {op}" for name, kind in kinds.pushed().items() for op in kind.ops}
