"""Visit records: every contact attempt (home visit, call, SMS, letter), append-only.

Each is Pre-Action Protocol evidence: who, when, where, what was offered, and what
happened. A correction is a new record naming the one it ``corrects``. A promise of
payment made on a visit is kept in ``promises`` and checked against later account imports
(sync.records.arrangements).
"""

from datetime import timedelta

import orjson

from sync import codes
from sync.checks import Day, Integer, Many, Moment, Money, Number, Record, Sha256, Text
from sync.clock import as_given
from sync.protocol.batch import Batch, Op, Rejected, dumps_text
from sync.protocol.kinds import STAYS, Kind
from sync.records import blobs, breathing
from sync.store.rows import load

MAX_PHOTOS = 10


def _whole(visit: dict) -> dict:
    errors = {}
    if visit["arrived_at"] and visit["left_at"] and visit["left_at"] < visit["arrived_at"]:
        errors["left_at"] = ["Before arrived_at."]
    if (visit["promise_amount"] is None) != (visit["promise_date"] is None):
        errors["promise_date"] = ["Give a promise's amount and date together."]
    if visit["promise_amount"] is not None and not visit["tenancy_ref"]:
        errors["tenancy_ref"] = ["A promise of payment needs the tenancy."]
    return errors


VISIT = Record(
    {
        "uprn": Integer(1, 999_999_999_999, required=True, nullable=False),
        "tenancy_ref": Text(40, min_len=1),
        "channel": Text(20, choices=codes.CHANNELS, nullable=False),
        "outcome": Text(40, choices=codes.VISIT_OUTCOMES, required=True, nullable=False),
        "present": Many(Text(80, min_len=1), max_items=10),
        "offers": Many(Text(40, choices=codes.OFFERS), max_items=len(codes.OFFERS)),
        "promise_amount": Money(0.01, 100_000),
        "promise_date": Day(),
        "notes": Text(4000),
        "latitude": Number(-90, 90),
        "longitude": Number(-180, 180),
        "gps_accuracy_m": Number(0, 100_000),
        "arrived_at": Moment(),
        "left_at": Moment(),
        "corrects": Text(100, min_len=1),
        "photos": Many(Sha256(), max_items=MAX_PHOTOS),
    },
    whole=_whole,
)

VISIT_COLUMNS = (
    "id, uprn, tenancy_ref, officer_id, channel, outcome, present, offers, promise_amount, "
    "promise_date, notes, latitude, longitude, gps_accuracy_m, arrived_at, left_at, "
    "corrects, photos, observed_at, received_at, flags"
)
_INSERT = (
    f"INSERT INTO visits ({VISIT_COLUMNS}, device_id, mutation_id) "
    f"VALUES ({', '.join('?' * (VISIT_COLUMNS.count(',') + 3))})"
)
_PROMISE = (
    "INSERT INTO promises (id, tenancy_ref, amount, due_date, made_on) VALUES (?, ?, ?, ?, ?)"
)
JSON_COLUMNS = ("present", "offers", "photos", "flags")


def visit_out(row: dict) -> dict:
    """A ``visits`` row (``VISIT_COLUMNS``) as the API and phones see it."""
    for column in JSON_COLUMNS:
        row[column] = orjson.loads(row[column])
    return row


def _json_list(items: list | None) -> str:
    return dumps_text(items) if items else "[]"


def _prefetch(batch: Batch, mutations: list[dict]) -> None:
    uprns = [m["payload"].get("uprn") for m in mutations]
    batch.load_homes(uprns)  # what is not a UPRN is refused when its payload is checked
    homes = (batch.homes.get(u) for u in uprns if type(u) is int)
    breathing.prefetch(batch, {r for h in homes if h for r in h.tenancies})
    ids = [m["entity_id"] for m in mutations]
    ids += [
        m["payload"]["corrects"] for m in mutations if type(m["payload"].get("corrects")) is str
    ]
    batch.known_ids("visit", "visits", ids)


def home_of_visit(batch: Batch, visit_id: str) -> int | None:
    """The home of a visit record, made earlier in this batch or stored; None if none."""
    made = batch.created.get("visit", {})
    if visit_id in made:
        return made[visit_id]
    row = batch.db.execute("SELECT uprn FROM visits WHERE id = ?", [visit_id]).fetchone()
    return row[0] if row else None


def apply_visit(batch: Batch, m: dict, visit: dict) -> dict:
    """Append-only: a visit never conflicts. A second create of one id is refused."""
    uprn = visit["uprn"]
    home, flags = batch.place(uprn, visit["tenancy_ref"])
    if visit["corrects"] is not None and home_of_visit(batch, visit["corrects"]) != uprn:
        raise Rejected(
            "A correction must name an earlier visit record at the same home.",
            code="unknown-entity",
            errors={"payload.corrects": ["No visit record with this id at this home."]},
        )
    promise_date = visit["promise_date"]
    if promise_date is not None:
        made_on = batch.local_day(m["observed_at"])
        if not made_on <= promise_date <= made_on + timedelta(days=366):
            raise Rejected(
                "The promised date must be on or after the visit and within a year.",
                code="invalid-payload",
                errors={"payload.promise_date": ["Not between the visit and a year on."]},
            )
    asked = _asked_in_moratorium(batch, m, visit, home)
    if asked:
        flags.append(breathing.FLAG)
    batch.claim("visit", m["entity_id"], "A visit", uprn)
    if asked:
        breathing.stage_flags(batch, m, "visit", uprn, asked)
    photos = visit["photos"]
    missing = blobs.expect(batch, "visit", m["entity_id"], photos) if photos else None
    # The outbox event is not written: it is read from this row (``_event_data``).
    promise_iso = promise_date.isoformat() if promise_date is not None else None
    batch.later(
        _INSERT,
        (
            m["entity_id"],
            uprn,
            visit["tenancy_ref"],
            batch.caller.user_id,
            visit["channel"] or "home_visit",
            visit["outcome"],
            _json_list(visit["present"]),
            _json_list(visit["offers"]),
            visit["promise_amount"],
            promise_iso,
            visit["notes"],
            visit["latitude"],
            visit["longitude"],
            visit["gps_accuracy_m"],
            as_given(visit["arrived_at"]),
            as_given(visit["left_at"]),
            visit["corrects"],
            _json_list(photos),
            m["observed_iso"],
            batch.now_iso,
            _json_list(flags),
            batch.caller.device_id,
            m["mutation_id"],
        ),
    )
    if promise_date is not None:
        batch.touch("promise", m["entity_id"], uprn, None)
        batch.later(
            _PROMISE,
            (
                m["entity_id"],
                visit["tenancy_ref"],
                visit["promise_amount"],
                promise_iso,
                batch.local_day(m["observed_at"]).isoformat(),
            ),
        )
    # Like every created record, it comes back to its author as stored (with the time
    # the server received it, its flags and missing photos): no echo is for edits only.
    batch.touch("visit", m["entity_id"], uprn, None)
    batch.event("visit.recorded", m["entity_id"])
    result = {"status": "applied", "flags": flags}
    if missing:
        result["missing_photos"] = missing
    return result


def _asked_in_moratorium(batch: Batch, m: dict, visit: dict, home) -> dict:
    """The rules a visit touched by asking for the frozen debt of a tenancy in a
    Breathing Space on the day it was made (its own tenancy, else any at the home): rule
    -> that tenancy's moratorium. Recorded all the same, flagged, and sent to review."""
    refs = (visit["tenancy_ref"],) if visit["tenancy_ref"] else home.tenancies
    if not breathing.ever_in_space(batch, refs):  # before working out the visit's day
        return {}
    found = {}
    on = batch.local_day(m["observed_at"])
    for moratorium in breathing.moratoria_in_push(batch, refs, on).values():
        for rule in breathing.visit_rules(visit, moratorium):
            found.setdefault(rule, moratorium)
    return found


def _read_visits(db, ids: list[str], today) -> dict[str, dict]:
    rows = load(db, f"SELECT {VISIT_COLUMNS} FROM visits WHERE id IN ({{marks}})", ids, "id")
    return {k: visit_out(row) for k, row in rows.items()}


# A ``visit.recorded`` event's data: the record as stored, with its officer's username.
EVENT_FIELDS = (
    "id, uprn, tenancy_ref, channel, outcome, present, offers, promise_amount, promise_date, "
    "notes, latitude, longitude, gps_accuracy_m, arrived_at, left_at, corrects, photos, "
    "observed_at, flags"
)


def _event_data(db, ids: list[str]) -> dict[str, dict]:
    """Each visit record's ``visit.recorded`` data, read when the event is (a visit record
    never changes once made, so this is what it was when it was applied)."""
    columns = ", ".join(f"v.{c}" for c in EVENT_FIELDS.split(", "))
    rows = load(
        db,
        f"SELECT {columns}, u.username AS officer FROM visits v "
        "JOIN users u ON u.id = v.officer_id WHERE v.id IN ({marks})",
        ids,
        "id",
    )
    return {k: visit_out(row) for k, row in rows.items()}


# Visit records discuss rent accounts: finance roles only.
VISIT_KIND = Kind(
    "visit",
    table="visits",
    key="id",
    read=_read_visits,
    roles=codes.FINANCE_ROLES,
    ops={"create": Op(VISIT, apply_visit)},
    prefetch=_prefetch,
    tenancy=STAYS,
    topics=("visit.recorded",),
    rendered={"visit.recorded": _event_data},
)
