"""Password hashing with scrypt (memory-hard, in the standard library).

Stored form: ``scrypt$n$r$p$salt_b64$hash_b64``. Parameters travel with the hash, so
they can be raised later without breaking old hashes.
"""

import base64
import hashlib
import hmac
import secrets

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
