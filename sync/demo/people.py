"""The demo landlord's tenants: names, dates of birth, contact details, vulnerabilities and
reasonable adjustments, one lead tenant per tenancy and a joint tenant for some.

Names come from ``sync/demo/data/first_names.csv`` and ``surnames.csv``, by community
(British first names also by the decade of birth); every row is a dict in the nightly import
format for tenants.
"""

import random
import unicodedata
from datetime import date

from sync import codes
from sync.demo import data
from sync.demo.dates import days, iso, years_before
from sync.demo.tenancies import COMMUNITIES, Tenancy

# (community, "male" or "female", era) -> first names; era is "old", "mid" or "young" for
# British names (by decade of birth) and "" for the others.
_FIRST_NAMES = data.grouped("first_names.csv", "name", "community", "sex", "era")
_SURNAMES = data.grouped("surnames.csv", "surname", "community")
_GENERAL_ADJUSTMENTS = data.lines("adjustments.txt")

_VULNERABILITY_WEIGHTS = (
    ("mental_health", 25),
    ("physical_disability", 18),
    ("financial_hardship", 10),
    ("learning_disability", 6),
    ("serious_illness", 6),
    ("hearing_impairment", 4),
    ("visual_impairment", 3),
    ("substance_misuse", 5),
    ("domestic_abuse", 5),
    ("care_leaver", 3),
    ("bereavement", 4),
    ("pregnancy", 3),
    ("young_children", 8),
    ("low_literacy", 5),
)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c == "-")).lower()


def _feminine(surname: str, group: str) -> str:
    if group == "polish" and surname.endswith("ski"):
        return surname[:-1] + "a"
    if group == "punjabi" and surname == "Singh":
        return "Kaur"
    return surname


def tenants(rng: random.Random, tenancies: list[Tenancy], as_of: date) -> list[dict]:
    """Tenant rows by tenancy reference; each tenancy's rows also go on ``t.people``."""
    rows = []
    number = 100000
    for t in sorted(tenancies, key=lambda t: t.ref):
        people = _household(rng, t, as_of)
        language = None
        community = next(c for c in COMMUNITIES if c.name == t.group)
        if community.not_fluent and rng.random() < community.not_fluent:
            language = community.language
        arrears_prone = t.lead_age < 66
        for i, person in enumerate(people):
            number += rng.randint(1, 3)
            contact = _contact(rng, person)
            chance = (0.12 + (0.04 if arrears_prone else 0.0)) if i == 0 else 0.07
            vulns = _vulnerabilities(rng, person, chance)
            adjustments = _adjustments(rng, vulns, contact)
            speaks = language if (i == 0 or rng.random() < 0.7) else None
            interpreter = bool(speaks) and rng.random() < 0.45
            if interpreter and not adjustments and rng.random() < 0.5:
                adjustments = f"Use a {speaks} interpreter for visits and calls"
            if speaks and contact["preferred_contact"] == "email" and interpreter:
                contact["preferred_contact"] = "visit"
            person_row = {
                "person_ref": f"P{number:08d}",
                "tenancy_ref": t.ref,
                "is_lead": i == 0,
                "title": person["title"],
                "first_name": person["first_name"],
                "last_name": person["last_name"],
                "date_of_birth": iso(person["dob"]),
                **contact,
                "language": speaks,
                "interpreter_needed": interpreter,
                "reasonable_adjustments": adjustments,
                "vulnerabilities": vulns,
            }
            rows.append(person_row)
            t.people.append(person_row)
    return rows


def _household(rng: random.Random, t: Tenancy, as_of: date) -> list[dict]:
    """The lead tenant and, more often in bigger homes, a joint tenant (usually a partner of
    the other sex who mostly shares the lead's surname)."""
    female = rng.random() < 0.62
    lead = _person(rng, t.group, female, t.lead_age, as_of)
    people = [lead]
    joint_chance = {None: 0.0, 0: 0.05, 1: 0.15, 2: 0.35, 3: 0.5, 4: 0.55}[t.bedrooms]
    if rng.random() < joint_chance:
        partner_female = (not female) if rng.random() < 0.93 else female
        age = max(18, t.lead_age + rng.randint(-6, 6))
        surname = lead["last_name"] if rng.random() < 0.75 else None
        if surname and t.group != "british" and not partner_female:
            surname = surname.replace("ska", "ski").replace("Kaur", "Singh")
        people.append(_person(rng, t.group, partner_female, age, as_of, surname))
    return people


def _person(
    rng: random.Random, group: str, female: bool, age: int, as_of: date, surname: str | None = None
) -> dict:
    birth_year = as_of.year - age
    era = ""
    if group == "british":
        era = "old" if birth_year < 1960 else "mid" if birth_year < 1985 else "young"
    first = rng.choice(_FIRST_NAMES[group, "female" if female else "male", era])
    last = surname or rng.choice(_SURNAMES[group])
    if female:
        last = _feminine(last, group)
    dob = years_before(as_of, age) - days(rng.randint(1, 364))
    if female:
        title = rng.choices(
            ("Mrs", "Ms", "Miss"), weights=(45, 30, 25) if age >= 30 else (15, 35, 50)
        )[0]
    else:
        title = "Mr"
    r = rng.random()
    if r < 0.01:
        title = "Mx"
    elif r < 0.03:
        title = None
    return {
        "title": title,
        "first_name": first,
        "last_name": last,
        "dob": dob,
        "age": age,
        "female": female,
    }


def _contact(rng: random.Random, person: dict) -> dict:
    age = person["age"]
    mobile = phone = email = None
    if rng.random() < (0.93 if age < 60 else 0.78 if age < 75 else 0.45):
        mobile = f"07700 900{rng.randint(0, 999):03d}"
    if rng.random() < (0.1 if age < 40 else 0.25 if age < 65 else 0.6):
        phone = f"01632 960{rng.randint(0, 999):03d}"
    if rng.random() < (0.55 if age < 45 else 0.4 if age < 60 else 0.22 if age < 75 else 0.06):
        first, last = _ascii(person["first_name"]), _ascii(person["last_name"])
        pattern = rng.randint(0, 3)
        local = (
            f"{first}.{last}"
            if pattern == 0
            else f"{first}{last}{rng.randint(1, 99)}"
            if pattern == 1
            else f"{first[0]}{last}{person['dob'].year % 100:02d}"
            if pattern == 2
            else f"{last}.{first}{rng.randint(1, 9)}"
        )
        email = f"{local}@example.com"
    weights = (
        {"phone": 27, "sms": 35, "email": 16, "letter": 16, "visit": 6}
        if age < 60
        else {"phone": 38, "sms": 6, "email": 6, "letter": 38, "visit": 12}
    )
    possible = {
        "phone": bool(phone or mobile),
        "sms": bool(mobile),
        "email": bool(email),
        "letter": True,
        "visit": True,
    }
    methods = [m for m in codes.CONTACT_METHODS if possible[m]]
    preferred = rng.choices(methods, weights=[weights[m] for m in methods])[0]
    return {"phone": phone, "mobile": mobile, "email": email, "preferred_contact": preferred}


def _vulnerabilities(rng: random.Random, person: dict, chance: float) -> list[str]:
    found = ["older_person"] if person["age"] >= 75 else []
    if rng.random() >= chance:
        return found
    age, female = person["age"], person["female"]
    allowed = [
        (c, w)
        for c, w in _VULNERABILITY_WEIGHTS
        if not (c == "pregnancy" and (not female or age > 44))
        and not (c == "young_children" and age > 50)
        and not (c == "care_leaver" and age > 25)
        and not (c == "domestic_abuse" and not female and rng.random() < 0.8)
    ]
    count = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
    for _ in range(count):
        code = rng.choices([c for c, _ in allowed], weights=[w for _, w in allowed])[0]
        if code not in found:
            found.append(code)
    order = list(codes.VULNERABILITIES)
    return sorted(found, key=order.index)


def _adjustments(rng: random.Random, vulns: list[str], contact: dict) -> str | None:
    notes = []
    if "hearing_impairment" in vulns and rng.random() < 0.7:
        notes.append("Deaf: contact by SMS")
        if not contact["mobile"]:
            contact["mobile"] = f"07700 900{rng.randint(0, 999):03d}"
        contact["preferred_contact"] = "sms"
    if "visual_impairment" in vulns and rng.random() < 0.7:
        notes.append("Large print letters")
    if ("physical_disability" in vulns or "older_person" in vulns) and rng.random() < 0.15:
        notes.append("Needs time to reach the door")
    if "learning_disability" in vulns and rng.random() < 0.5:
        notes.append(
            rng.choice(
                ("Autism: avoid unannounced visits", "Easy-read letters; explain things slowly")
            )
        )
    if "mental_health" in vulns and rng.random() < 0.25:
        notes.append(
            rng.choice(("Call before visiting", "Anxiety: arrange visits in advance by text"))
        )
    if "low_literacy" in vulns and rng.random() < 0.5:
        notes.append("Cannot read letters: explain by phone or in person")
    if not notes and rng.random() < 0.045:
        notes.append(rng.choice(_GENERAL_ADJUSTMENTS))
    return "; ".join(notes) or None
