"""Where an officer's day starts and ends: the request's places, their base, or (the last
resort) the middle of their homes."""

import math

from sync.errors import ValidationFailed


def _centre(homes: list[dict]) -> dict:
    """The middle of the officer's homes: a day's start and end only when neither the
    request nor the officer's base gives one (it may be no real place)."""
    return {
        "latitude": sum(h["latitude"] for h in homes) / len(homes),
        "longitude": sum(h["longitude"] for h in homes) / len(homes),
        "label": "Patch centre",
    }


def start_and_end(request: dict, officer: dict, homes: list[dict]) -> tuple[dict, dict]:
    """Where the day starts and ends: the request's places, else the officer's base (an
    office or home, set per officer), else the middle of their homes. The end defaults to
    the base too, or to the start when there is no base (a re-plan starts from where the
    officer is, and still ends at the base)."""
    base = officer.get("base")
    start = request.get("start") or base or _centre(homes)
    end = request.get("end") or base or start
    return _labelled(start, "Start"), _labelled(end, "End")


def _labelled(place: dict, label: str) -> dict:
    return {**place, "label": place.get("label") or label}


def within_reach(inst) -> None:
    """``ValidationFailed`` naming both places when a day's start and end are further
    apart than its working hours, breaks included: such a day has no plan (found by
    fuzzing: a start or end a day's travel away made a 500)."""
    breaks = sum(b.duration for b in inst.breaks)
    direct = inst.travel[inst.start][inst.end] + inst.service[inst.start]
    if not math.isfinite(direct) or inst.day_start + direct + breaks > inst.day_end:
        raise ValidationFailed(
            "The day's start and end places are further apart than its working hours.",
            errors={
                "start": ["Not within a working day's travel of the end."],
                "end": ["Not within a working day's travel of the start."],
            },
        )
