"""HTTP-free domain exceptions. Only ``server.problems`` turns them into responses.

Each exception carries a stable machine ``code`` and, where a client sent something
wrong, ``errors``: a mapping of field name to messages.
"""


class DoorstepError(Exception):
    code = "error"

    def __init__(self, detail: str, *, code: str | None = None, errors=None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors or {}


class NotFound(DoorstepError):
    """The record does not exist, or is outside the caller's scope (existence is private)."""

    code = "not-found"


class Forbidden(DoorstepError):
    """The record is in scope but the caller's role may not do this."""

    code = "forbidden"


class Unauthenticated(DoorstepError):
    code = "unauthenticated"


class ValidationFailed(DoorstepError):
    code = "validation-failed"


class TooLarge(DoorstepError):
    """More than a documented limit allows (mutations in a batch, say)."""

    code = "payload-too-large"


class Conflict(DoorstepError):
    """The request clashes with the current state (a duplicate name, say)."""

    code = "conflict"


class UnsupportedMediaType(DoorstepError):
    """An upload of a type the server does not take (checked by content, not name)."""

    code = "unsupported-media-type"


class PreconditionFailed(DoorstepError):
    """An ``If-Match`` that no longer matches: someone changed the record since."""

    code = "precondition-failed"


class PreconditionRequired(DoorstepError):
    """A change to a record guarded by ``If-Match`` sent without one."""

    code = "precondition-required"


class Unavailable(DoorstepError):
    """The service cannot serve now (its storage, its schema); try again later."""

    code = "unavailable"


class TooManyRequests(DoorstepError):
    """Slow down: try again after ``retry_after`` seconds."""

    code = "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int, **kw):
        super().__init__(detail, **kw)
        self.retry_after = retry_after
