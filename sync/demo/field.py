"""A week of field work for the demo landlord, recorded the way phones record it.

Each demo officer works the working days before the demo's date: 12 to 20 contacts a day
(mostly home visits, with check-ins), promises and doorstep arrangements, repairs
noticed, now and then a safeguarding concern or a warning marker. Each day is one push
from the officer's phone at the end of the day, through the real sync push, so the team
leader's dashboard, the repairs queue and the outbox have something to show.
Deterministic for a seed and date. Demo-only.
"""

import random
import uuid
from datetime import date, datetime, time, timedelta

from sqlite_utils import Database

from sync import codes, push
from sync.access.devices import login
from sync.access.scope import Caller
from sync.clock import LONDON

OUTCOMES = (
    ("contact_made", 36),
    ("no_access", 42),
    ("appointment_made", 9),
    ("refused", 5),
    ("not_safe", 2),
    ("suspected_abandoned", 3),
    ("suspected_subletting", 3),
)
CHANNELS = (("home_visit", 80), ("phone_call", 15), ("letter", 3), ("sms", 2))
HAZARDS = (("significant", 60), ("routine", 30), ("emergency", 10))
NOTES = {
    "contact_made": "Spoke to the tenant about the arrears.",
    "no_access": "No answer; card left.",
    "appointment_made": "Appointment booked for next week.",
    "refused": "Tenant would not discuss the account.",
    "not_safe": "Did not enter: aggressive dog loose.",
    "suspected_abandoned": "Curtains drawn, post piled up, neighbours not seen the tenant.",
    "suspected_subletting": "Person at the door did not know the tenant's name.",
}


def _pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def working_days_before(as_of: date, count: int) -> list[date]:
    days, day = [], as_of
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


class _Phone:
    """An officer's phone: numbers its mutations and queues them for the day's push."""

    def __init__(self, rng: random.Random):
        self.rng, self.seq, self.batch = rng, 0, []

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def make(self, entity_type, payload, at, op="create", entity_id=None) -> str:
        self.seq += 1
        entity_id = entity_id or self._id()
        self.batch.append(
            {
                "mutation_id": self._id(),
                "device_seq": self.seq,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "op": op,
                "base_version": 1 if op == "update" else None,
                "observed_at": at.isoformat(),
                "payload": payload,
            }
        )
        return entity_id


def _contact(phone: _Phone, rng: random.Random, home, day: date, arrived: datetime) -> datetime:
    """One contact attempt (with what it led to); returns when the officer left."""
    uprn, ref, _ = home
    channel, outcome = _pick(rng, CHANNELS), _pick(rng, OUTCOMES)
    left = arrived + timedelta(minutes=rng.randint(5, 30))
    visit = {
        "uprn": uprn,
        "tenancy_ref": ref,
        "channel": channel,
        "outcome": outcome,
        "notes": NOTES[outcome],
    }
    if channel == "home_visit":
        checkin = phone.make(
            "checkin",
            {
                "uprn": uprn,
                "checked_in_at": arrived.isoformat(),
                "expected_out_at": (arrived + timedelta(minutes=45)).isoformat(),
            },
            arrived,
        )
        phone.make("checkin", {"checked_out_at": left.isoformat()}, left, "update", checkin)
        visit["arrived_at"], visit["left_at"] = arrived.isoformat(), left.isoformat()
        visit["present"] = ["tenant"] if outcome == "contact_made" else []
    if outcome == "contact_made":
        visit["offers"] = rng.sample(list(codes.OFFERS), rng.randint(0, 2))
        if rng.random() < 0.3:
            visit["promise_amount"] = float(rng.choice((20, 25, 50, 100)))
            visit["promise_date"] = (day + timedelta(days=rng.randint(2, 10))).isoformat()
    visit_id = phone.make("visit", visit, left)
    if outcome == "contact_made" and rng.random() < 0.2:
        budget = {
            "income_monthly": float(rng.randint(900, 1600)),
            "expenditure_monthly": float(rng.randint(800, 1500)),
        }
        arrangement = {
            "tenancy_ref": ref,
            "amount": float(rng.choice((5, 10, 15, 20))),
            "frequency": rng.choice(("weekly", "fortnightly", "monthly")),
            "start_date": (day + timedelta(days=7)).isoformat(),
            "visit_id": visit_id,
            "income_expenditure": budget,
        }
        phone.make("arrangement", arrangement, left)
    if channel == "home_visit" and rng.random() < 0.06:
        hazard = _pick(rng, HAZARDS)
        emergency = hazard == "emergency"
        repair = {
            "uprn": uprn,
            "tenancy_ref": ref,
            "location": "Kitchen" if emergency else "Bathroom",
            "category": "electrical" if emergency else "damp_mould",
            "hazard_class": hazard,
            "description": "Water coming through a light fitting."
            if emergency
            else "Black mould on the ceiling and round the window.",
        }
        phone.make("repair", repair, left)
    if channel == "home_visit" and rng.random() < 0.01:
        concern = {
            "uprn": uprn,
            "tenancy_ref": ref,
            "category": "adult_at_risk",
            "subjects": ["Tenant"],
            "immediate_danger": False,
            "seen": "Very little food in the home; tenant confused about the date.",
        }
        phone.make("concern", concern, left)
    return left


def record_week(db: Database, *, seed: int, as_of: date, days: int = 5) -> dict:
    """Push ``days`` working days of field work for every demo officer. Returns counts."""
    rng = random.Random(f"field-{seed}-{as_of}")
    officers = db.execute(
        "SELECT u.id, u.username, u.team_id FROM users u WHERE u.role = 'officer' "
        "ORDER BY u.username"
    ).fetchall()
    counts: dict[str, int] = {}
    for user_id, username, team_id in officers:
        device = login(db, username, "demo", f"{username}'s demo phone")["device"]
        caller = Caller(user_id, username, "officer", team_id, device["id"])
        homes = db.execute(
            "SELECT t.uprn, t.tenancy_ref, s.balance FROM tenancies t "
            "JOIN patch_properties pp ON pp.uprn = t.uprn "
            "JOIN patches p ON p.id = pp.patch_id "
            "JOIN account_snapshots s ON s.id = t.current_snapshot_id "
            "WHERE p.officer_id = ? AND t.end_date IS NULL ORDER BY s.balance DESC, t.uprn",
            [user_id],
        ).fetchall()
        worst = homes[: max(40, len(homes) // 6)]
        phone = _Phone(rng)
        for day in working_days_before(as_of, days):
            clock = datetime.combine(day, time(9, 0), LONDON)
            for _ in range(rng.randint(12, 20)):
                left = _contact(phone, rng, rng.choice(worst), day, clock)
                clock = left + timedelta(minutes=rng.randint(10, 35))
            result = push.push(db, caller, phone.batch)
            for mutation, outcome in zip(phone.batch, result["results"], strict=True):
                key = f"{mutation['entity_type']}_{outcome['status']}"
                counts[key] = counts.get(key, 0) + 1
            phone.batch = []
    return counts
