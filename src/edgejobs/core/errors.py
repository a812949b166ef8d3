"""The API's errors: one root class, one subclass per error code.

Every error becomes `{"error": {"code", "message", "field"?, "details"?}}` with its
HTTP status in exactly one place (`app.error_response`). The class docstring is the
default message.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """The request failed."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or (self.__doc__ or "").strip()
        self.field = field
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class ValidationError(ApiError):
    """The request is not valid."""

    status, code = 400, "validation_error"


class InvalidJson(ApiError):
    """The request body is not valid JSON."""

    status, code = 400, "invalid_json"


class Unauthorized(ApiError):
    """A valid `Authorization: Bearer <token>` header is required."""

    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    """This token may not use this route."""

    status, code = 403, "forbidden"


class NotFound(ApiError):
    """Not found."""

    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    """This method is not allowed on this path."""

    status, code = 405, "method_not_allowed"


class Conflict(ApiError):
    """The request conflicts with the current state of the resource."""

    status, code = 409, "conflict"


class LeaseLost(ApiError):
    """This runner no longer holds the job's lease."""

    status, code = 409, "lease_lost"


class Gone(ApiError):
    """The resource is no longer available."""

    status, code = 410, "gone"


class PreconditionFailed(ApiError):
    """The resource does not match the request's precondition."""

    status, code = 412, "precondition_failed"


class PayloadTooLarge(ApiError):
    """The request body is too large."""

    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    """The request body must be `application/json`."""

    status, code = 415, "unsupported_media_type"


class QuotaExceeded(ApiError):
    """A quota was exceeded."""

    status, code = 429, "quota_exceeded"


class InternalError(ApiError):
    """Internal error."""

    status, code = 500, "internal_error"


class ProviderError(ApiError):
    """The provider doing the work refused the request."""

    status, code = 502, "provider_error"


class DatabaseUnavailable(ApiError):
    """The database is unavailable; retry shortly."""

    status, code = 503, "database_unavailable"

    def __init__(self, message: str | None = None, *, retry_after: int = 2) -> None:
        super().__init__(message, headers={"retry-after": str(retry_after)})
