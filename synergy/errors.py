"""Domain errors.

Core and plugin code raise these; ``synergy.http.errors`` turns every one of
them (and anything unexpected) into the single JSON error shape of the API.
Keeping HTTP out of the domain lets jobs and the CLI reuse the same rules.
"""

from __future__ import annotations


class SynergyError(Exception):
    """Base class: carries an HTTP-ish status, a stable machine code and field details."""

    status = 400
    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationError(SynergyError):
    status = 400
    code = "validation_error"
    default_message = "The submitted data is not valid."

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationError:
        return cls(f"{field}: {message}", fields={field: [message]})


class MalformedBody(SynergyError):
    """The body could not be read: broken chunked framing, a body cut short, a reset."""

    status = 400
    code = "malformed_body"
    default_message = "The request body could not be read."


class AuthenticationFailed(SynergyError):
    status = 401
    code = "not_authenticated"
    default_message = "Authentication credentials were missing or invalid."


class PermissionDenied(SynergyError):
    status = 403
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFound(SynergyError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(SynergyError):
    status = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class RequestTimeout(SynergyError):
    status = 408
    code = "request_timeout"
    default_message = "The request body did not arrive in time."


class LengthRequired(SynergyError):
    status = 411
    code = "length_required"
    default_message = "Send a Content-Length header with the body."


class PayloadTooLarge(SynergyError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(SynergyError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Send the body as application/json."


class RateLimited(SynergyError):
    status = 429
    code = "rate_limited"
    default_message = "Too many requests; retry later."


class ServiceUnavailable(SynergyError):
    status = 503
    code = "service_unavailable"
    default_message = "A service this request needs is unavailable."


class ConfigurationError(Exception):
    """Settings or plugins are unusable; raised at start-up with a message saying what to set."""


class PluginError(Exception):
    """A plugin could not be loaded or contributes something the kernel refuses."""
