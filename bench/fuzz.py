"""Property-based fuzzing of every operation in /openapi.json.

For each operation, Hypothesis generates requests: bodies and query values drawn from the
documented schemas (``from_schema`` below) and from hostile input (wrong types, huge
numbers and strings, unicode edge cases, SQL metacharacters, broken GeoJSON, deep
nesting, wrong content types), path parameters both real and made up, sent by callers
of every role. Every answer must be below 500, and every error a problem+json document
that names the problem.

    python -m bench.fuzz                  # 100 examples per operation, on the demo landlord
    python -m bench.fuzz --examples 10    # fewer
    python -m bench.fuzz --json

The test suite runs the same with a bounded budget (tests/test_fuzz.py).
"""

import argparse
import json
import logging
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Operations that end the fuzzer's own session are left out.
SKIP = {("POST", "/auth/logout"), ("POST", "/auth/rotate")}
ROLES = ("admin", "officer1", "leader1", "repairs1", "safeguarding1")

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "' OR 1=1 --",
        '"; DROP TABLE users; --',
        "%00",
        "\u0000",
        "\ufeff",
        "\u202e",
        "\U0001d518\U0001d52b\U0001d526",  # mathematical letters outside the BMP
        "x" * 10_000,
        "9" * 400,
        "-1",
        "1e309",
        "NaN",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        '{"type": "Polygon", "coordinates": [[[0, 0]]]}',
    ]
) | st.text(max_size=50)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | HOSTILE_TEXT
)
HOSTILE_JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(HOSTILE_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)
BROKEN_GEOJSON = st.sampled_from(
    [
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [1, 1], [0, 0]]]},
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": [[["a", "b"]]]},
        {"type": "Polygon", "coordinates": [[[1e308, 1e308], [0, 1], [1, 0], [1e308, 1e308]]]},
    ]
)


def resolve(schema, spec, depth=0):
    """The schema with every ``$ref`` inlined (cut off deep in recursive schemas)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            if depth > 6:
                return {}
            name = schema["$ref"].rsplit("/", 1)[-1]
            return resolve(spec["components"]["schemas"][name], spec, depth + 1)
        return {k: resolve(v, spec, depth) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve(v, spec, depth) for v in schema]
    return schema


def from_schema(schema: dict, depth: int = 0):
    """Values that mostly fit a (resolved) JSON Schema: the right types, enums, ranges
    and required keys, so requests get past parsing and exercise the code behind it."""
    if not isinstance(schema, dict) or depth > 4:
        return HOSTILE_JSON
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return st.one_of([from_schema(s, depth + 1) for s in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, depth) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40))
    if kind == "number":
        low, high = schema.get("minimum", -1e9), schema.get("maximum", 1e9)
        return st.floats(low, high, allow_nan=False)
    if kind == "string":
        if schema.get("format") == "date":
            return st.dates().map(str)
        if schema.get("format") == "date-time":
            return st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
                lambda d: d.isoformat()
            )
        return st.text(
            min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40)
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=3)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, depth + 1) for k, v in props.items() if k not in required},
        )
    return HOSTILE_JSON


def _documented(schema: dict):
    return from_schema(schema)


def operations(spec: dict):
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters" or (method.upper(), template) in SKIP:
                continue
            params = item.get("parameters", []) + op.get("parameters", [])
            yield method.upper(), template, op, params


def request_strategy(spec, method, template, op, params, values):
    path_params = [p for p in params if p["in"] == "path"]
    query_params = [p for p in params if p["in"] == "query"]

    def path_value(p):
        real = values.get(p["name"])
        made_up = st.integers(-5, 2**64) if p["schema"].get("type") == "integer" else HOSTILE_TEXT
        return (st.just(real) | made_up) if real is not None else made_up

    path = st.fixed_dictionaries({p["name"]: path_value(p) for p in path_params})
    query = st.fixed_dictionaries(
        {},
        optional={
            p["name"]: _documented(resolve(p["schema"], spec)) | HOSTILE_TEXT for p in query_params
        },
    )
    body = st.none()
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        documented = _documented(resolve(content["application/json"]["schema"], spec))
        body = documented | HOSTILE_JSON | st.fixed_dictionaries({"boundary": BROKEN_GEOJSON})
    elif content:
        body = st.binary(max_size=2048)
    return st.tuples(
        path,
        query,
        body,
        st.sampled_from(ROLES),
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
    )


def check(response) -> str | None:
    """What is wrong with a response, or None."""
    if response.status_code >= 500:  # a 503 too: the database here is healthy
        return f"{response.status_code}: {response.get_data(as_text=True)[:300]}"
    if response.status_code >= 400:
        if response.mimetype != "application/problem+json":
            return f"{response.status_code} not problem+json ({response.mimetype})"
        body = response.get_json()
        if not (body.get("code") and body.get("detail") and isinstance(body.get("errors"), dict)):
            return f"{response.status_code} problem without code/detail/errors: {body}"
    return None


def fuzz(client, tokens: dict, values: dict, examples: int, seed: int | None = None) -> dict:
    """Fuzz every operation; returns counts and the failures found."""
    spec = client.get("/openapi.json").get_json()
    failures, counts, statuses = [], {}, {}
    request_log = logging.getLogger("doorstep.request")
    level = request_log.level
    request_log.setLevel(logging.WARNING)  # thousands of request lines help nobody here
    try:
        _fuzz_all(client, tokens, values, examples, seed, spec, failures, counts, statuses)
    finally:
        request_log.setLevel(level)
    return {
        "operations": len(counts),
        "requests": sum(counts.values()),
        "statuses": dict(sorted(statuses.items())),
        "failures": failures,
    }


def _fuzz_all(client, tokens, values, examples, seed, spec, failures, counts, statuses):
    for method, template, op, params in operations(spec):
        sent = [0]

        def make_send(method, template, sent):
            def send_one(case):
                path, query, body, role, content_type = case
                url = re.sub(r"{(\w+)}", lambda m: quote(str(path[m.group(1)]), safe=""), template)
                kwargs = {
                    "method": method,
                    "headers": {"Authorization": f"Bearer {tokens[role]}"},
                    "query_string": {k: str(v) for k, v in query.items()},
                }
                if isinstance(body, bytes):
                    kwargs["data"] = body
                elif body is not None:
                    kwargs["data"] = json.dumps(body)
                    kwargs["content_type"] = content_type
                try:
                    response = client.open(url, **kwargs)
                except Exception as exc:  # an unhandled error: what a 500 would hide
                    failures.append(f"{method} {template} as {role}: raised {exc!r}"[:500])
                    return
                sent[0] += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                problem = check(response)
                if problem:
                    failures.append(f"{method} {template} as {role}: {problem}")

            return send_one

        send = make_send(method, template, sent)

        run = settings(
            max_examples=examples,
            deadline=None,
            derandomize=seed is not None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(request_strategy(spec, method, template, op, params, values))(send))
        run()
        counts[f"{method} {template}"] = sent[0]


def main(argv=None) -> None:
    from server.app import create_app
    from sync import demo
    from sync.access.devices import login
    from sync.clock import london_today
    from sync.store.db import open_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.db"
        db = open_database(path)
        demo.build(db, seed=1, homes_per_patch=60, as_of=london_today())
        tokens = {u: login(db, u, demo.DEMO_PASSWORD, "fuzz")["token"] for u in ROLES}
        values = {
            "uprn": db.execute("SELECT min(uprn) FROM properties").fetchone()[0],
            "tenancy_ref": db.execute("SELECT min(tenancy_ref) FROM tenancies").fetchone()[0],
            "patch_id": 1,
            "user_id": 1,
            "team_id": 1,
        }
        db.close()
        client = create_app({"TESTING": True, "DATABASE": str(path)}).test_client()
        started = time.perf_counter()
        result = fuzz(client, tokens, values, args.examples)
        result["seconds"] = round(time.perf_counter() - started, 1)
    result["server_errors"] = len(result["failures"])
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"Fuzzed {result['operations']} operations with {result['requests']:,} requests in "
        f"{result['seconds']} s: {result['server_errors']} failure(s)"
    )
    print("  answers by status: " + ", ".join(f"{k}: {v}" for k, v in result["statuses"].items()))
    for failure in result["failures"][:20]:
        print("  " + failure)


if __name__ == "__main__":
    main()
