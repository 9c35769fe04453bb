"""Password hashing with scrypt (memory-hard, in the standard library), and the policy a
new password must meet.

Stored form: ``scrypt$n$r$p$salt_b64$hash_b64``. Parameters travel with the hash, so
they can be raised later without breaking old hashes.
"""

import base64
import functools
import hashlib
import hmac
import secrets
import unicodedata

N, R, P = 2**15, 8, 1
_MAXMEM = 128 * N * R * 2


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=_MAXMEM)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=128 * int(n) * int(r) * 2,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# A hash of a random password: verifying against it costs the same as a real check,
# so an unknown username takes as long to refuse as a wrong password.
_DUMMY = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    verify_password(password, _DUMMY)


MIN_LENGTH, MAX_LENGTH = 10, 200


@functools.cache
def _common() -> frozenset[str]:
    """The 30,000 most used passwords of zxcvbn's frequency list (from leaked password
    corpora; lower case; MIT licence), loaded on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def weakness(password: str) -> str | None:
    """Why ``password`` may not be set (``None``: it may). Length alone lets ten spaces or
    ``1111111111`` through, and the first passwords an attacker tries are the most used
    ones, in any case: those are refused too. Every way of setting a password asks this
    (the schemas and ``doorstep create-user``); the demo's ``demo`` is set directly."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"Between {MIN_LENGTH} and {MAX_LENGTH} characters."
    plain = _plain(password)
    if not plain:
        return "Must not be only spaces."
    if len(set(plain)) == 1:
        return "Must not be one character repeated."
    if plain in _common() or plain.replace(" ", "") in _common():
        return "Too easy to guess: it is on a list of commonly used passwords."
    return None


def _plain(password: str) -> str:
    """What a password is to a guesser: compatibility forms folded (fullwidth letters),
    invisible characters (zero-width spaces) dropped, case folded, spaces around it
    trimmed."""
    folded = unicodedata.normalize("NFKC", password)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return visible.strip().casefold()
