"""The project's one error tree for everything a cloud API can answer with.

Callers decide by kind (not found, forbidden, throttled, wrong state, unavailable, bad request), never by
SDK exception class or vendor error code, so the SDKs stay behind workers/cloud/. Every error carries the
request id, because that is what Alibaba Cloud support asks for first.
"""

from __future__ import annotations

_MESSAGE_LIMIT = 500


class CloudError(Exception):
    """A cloud call failed; str() is safe to show to users and to log (it never holds credentials)."""

    def __init__(
        self,
        *,
        service: str,
        action: str,
        code: str = "",
        message: str = "",
        request_id: str = "",
        http_status: int | None = None,
    ) -> None:
        self.service = service
        self.action = action
        self.code = code
        self.message = _shorten(message)
        self.request_id = request_id
        self.http_status = http_status
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [f"{self.service} {self.action} failed"]
        if self.http_status is not None:
            parts.append(f"(HTTP {self.http_status})")
        head = " ".join(parts)
        detail = ": ".join(part for part in (self.code, self.message) if part)
        text = f"{head}: {detail}" if detail else head
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructors do not survive pickling by default; RQ pickles exceptions.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(kind: type[CloudError], state: dict[str, object]) -> CloudError:
    error = kind.__new__(kind)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


class NotFound(CloudError):
    """The cluster, bucket, policy, task or node does not exist (or a name matched nothing)."""


class Forbidden(CloudError):
    """The credentials are wrong, expired, or lack the permission for this action."""


class Throttled(CloudError):
    """The API refused the call for rate; it is retried with backoff before this reaches a caller."""


class Conflict(CloudError):
    """The resource is in the wrong state for the action (or a name is ambiguous)."""


class Unavailable(CloudError):
    """5xx, connection refused, timeout: the service could not answer; retried before it surfaces."""


class InvalidRequest(CloudError):
    """Any other 4xx: the request itself is wrong, so retrying cannot help."""


def _shorten(message: str) -> str:
    message = " ".join(message.split())
    if len(message) <= _MESSAGE_LIMIT:
        return message
    return message[: _MESSAGE_LIMIT - 1] + "…"
