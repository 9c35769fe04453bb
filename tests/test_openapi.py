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


def test_a_choice_that_may_be_null_lists_null(client):
    """Found by a client built from the document: ``enum`` is checked whatever ``type``
    allows, so a nullable choice without null in it refused every null the API sends."""
    spec = client.get("/openapi.json").get_json()
    for path, schema in schemas_in(spec):
        for where, node in _nodes(schema, path):
            types = node.get("type")
            if "enum" in node and isinstance(types, list) and "null" in types:
                assert None in node["enum"], where


def _nodes(schema, path):
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _nodes(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for n, value in enumerate(schema):
            yield from _nodes(value, f"{path}[{n}]")


def test_real_answers_match_their_documented_schemas(client, as_user, db):
    """A tenancy's reads (no court order yet, transactions without a method) and the
    flagged queue, as sent, against the document's schema for their 200."""
    spec = client.get("/openapi.json").get_json()
    ref = db.execute(
        "SELECT t.tenancy_ref FROM tenancies t JOIN patch_properties pp ON pp.uprn = t.uprn "
        "JOIN patches p ON p.id = pp.patch_id JOIN users u ON u.id = p.officer_id "
        "JOIN account_snapshots s ON s.id = t.current_snapshot_id "
        "WHERE u.username = 'officer1' AND s.balance > 0 AND t.end_date IS NULL "
        "AND EXISTS (SELECT 1 FROM rent_transactions r WHERE r.tenancy_ref = t.tenancy_ref "
        "AND r.method IS NULL) ORDER BY t.tenancy_ref LIMIT 1"
    ).fetchone()[0]
    reads = [
        ("/tenancies", "/tenancies?limit=50", "officer1"),
        ("/tenancies/{tenancy_ref}", f"/tenancies/{ref}", "officer1"),
        ("/tenancies/{tenancy_ref}/statement", f"/tenancies/{ref}/statement", "officer1"),
        ("/tenancies/{tenancy_ref}/evidence", f"/tenancies/{ref}/evidence", "officer1"),
        (
            "/tenancies/{tenancy_ref}/account-history",
            f"/tenancies/{ref}/account-history",
            "officer1",
        ),
        ("/sync/flagged", "/sync/flagged", "leader1"),
    ]
    for template, url, user in reads:
        response = client.get(url, headers=as_user(user))
        assert response.status_code == 200, url
        documented = spec["paths"][template]["get"]["responses"]["200"]["content"]
        schema = documented["application/json"]["schema"] | {"components": spec["components"]}
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in Draft202012Validator(schema).iter_errors(response.get_json())
        ]
        assert errors == [], f"{url}: {errors[:3]}"
