"""Vendor error codes and HTTP statuses → the project's error kinds (workers.errors).

One table for every service, so "throttled" means the same thing for ACK's `Throttling.User`, OSS's
503 `ServiceUnavailable` and a Kubernetes 429.
"""

from __future__ import annotations

from workers.errors import (
    CloudError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    Throttled,
    Unavailable,
)

_FORBIDDEN_CODES = (
    "Forbidden",
    "AccessDenied",
    "NoPermission",
    "InvalidAccessKeyId",
    "InvalidAccessKeySecret",
    "SignatureDoesNotMatch",
    "InvalidSecurityToken",
    "ErrorCheckAcl",
    "NotAuthorized",
)
_NOT_FOUND_MARKERS = ("NotFound", "NotExist", "NoSuch", "EntityNotExist")
_CONFLICT_MARKERS = ("IncorrectStatus", "IncorrectState", "Conflict", "ErrorClusterState", "InvalidStatus")


def error_kind(*, code: str, http_status: int | None) -> type[CloudError]:
    """Pick the kind by code first (vendors reuse 400 for everything), then by HTTP status."""
    if code.startswith("Throttling") or http_status == 429:
        return Throttled
    if code.startswith(_FORBIDDEN_CODES) or http_status in (401, 403):
        return Forbidden
    if any(marker in code for marker in _NOT_FOUND_MARKERS) or http_status == 404:
        return NotFound
    if any(marker in code for marker in _CONFLICT_MARKERS) or http_status == 409:
        return Conflict
    if code.startswith("ServiceUnavailable") or (http_status is not None and http_status >= 500):
        return Unavailable
    return InvalidRequest


def cloud_error(
    *,
    service: str,
    action: str,
    code: str,
    message: str,
    request_id: str,
    http_status: int | None,
) -> CloudError:
    kind = error_kind(code=code, http_status=http_status)
    return kind(
        service=service,
        action=action,
        code=code,
        message=message,
        request_id=request_id,
        http_status=http_status,
    )
