"""The kernel's own middleware, installed before any plugin middleware.

Order matters and is fixed: request context (id, client IP, timing, log
line; a non-canonical path is refused there, before routing), database
connection (opened first, closed last, pending jobs flushed after the response
is built), CORS, authentication.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

import falcon
import peewee

from synergy.errors import AuthenticationFailed, ConfigurationError, ServiceUnavailable
from synergy.http.client_ip import client_ip, parse_networks
from synergy.http.paths import require_canonical_path

if TYPE_CHECKING:
    from synergy.app import Kernel

access_log = logging.getLogger("synergy.access")
log = logging.getLogger("synergy.http")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


class RequestContextMiddleware:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.trusted = parse_networks(kernel.settings.trusted_proxies)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        incoming = req.get_header("X-Request-ID")
        req.context.request_id = (incoming if incoming and _REQUEST_ID.fullmatch(incoming)
                                  else uuid.uuid4().hex)
        req.context.started = time.perf_counter()
        req.context.kernel = self.kernel
        req.context.user = None
        req.context.auth_error = None
        req.context.session_id = None
        req.context.client_ip = client_ip(req.remote_addr, req.get_header("X-Forwarded-For"),
                                          self.trusted)
        require_canonical_path(req.env)

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            resp.set_header("X-Request-ID", request_id)
        started = getattr(req.context, "started", None)
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        user = getattr(req.context, "user", None)
        status = falcon.http_status_to_code(resp.status)
        access_log.info(
            "%s %s %s %.1fms user=%s ip=%s request_id=%s",
            req.method, req.path, status, duration_ms,
            user.id if user is not None else "-", getattr(req.context, "client_ip", "-"),
            request_id,
            extra={"method": req.method, "path": req.path, "status": status,
                   "duration_ms": round(duration_ms, 2),
                   "user_id": user.id if user is not None else None,
                   "request_id": request_id},
        )


class DatabaseMiddleware:
    """A connection per request; queued follow-up work is handed to the queue after commit.

    An unreachable database answers 503 in the error shape rather than a 500,
    except for resources marked ``serves_without_database`` (the health check),
    which must still answer to say what is down.
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.database_error = None
        try:
            self.kernel.db.connect(reuse_if_open=True)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            log.error("database connection failed: %s", exc)
            req.context.database_error = exc

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         params: dict[str, Any]) -> None:
        if req.context.database_error is not None and not getattr(
                resource, "serves_without_database", False):
            raise ServiceUnavailable("The database is unavailable; retry shortly.",
                                     code="database_unavailable", headers={"Retry-After": "5"})

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        try:
            self.kernel.jobs.flush_after_commit()
        finally:
            if not self.kernel.db.is_closed():
                self.kernel.db.close()


class CORSMiddleware:
    """CORS for an explicit list of origins; nothing is allowed when the list is empty.

    Credentials (the refresh cookie) are allowed, so a wildcard would let any
    site act for a logged-in user: only exact ``scheme://host[:port]`` origins
    are accepted, and anything else stops start-up.
    """

    def __init__(self, kernel: Kernel) -> None:
        self.origins = set(kernel.settings.cors_origins)
        invalid = sorted(origin for origin in self.origins if not _ORIGIN.fullmatch(origin))
        if invalid:
            raise ConfigurationError(
                f"SYNERGY_CORS_ORIGINS: {', '.join(invalid)} is not an origin; list each "
                "allowed origin exactly, as https://app.example.org (no wildcard, no path)")

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        origin = req.get_header("Origin")
        resp.vary = ("Origin",)
        if not origin or origin not in self.origins:
            return
        resp.set_header("Access-Control-Allow-Origin", origin)
        resp.set_header("Access-Control-Allow-Credentials", "true")
        resp.set_header("Access-Control-Expose-Headers",
                        "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, "
                        "RateLimit-Reset")
        if req.method == "OPTIONS" and req.get_header("Access-Control-Request-Method"):
            resp.set_header("Access-Control-Allow-Methods",
                            "GET, POST, PUT, PATCH, DELETE, OPTIONS")
            resp.set_header("Access-Control-Allow-Headers",
                            req.get_header("Access-Control-Request-Headers")
                            or "Authorization, Content-Type")
            resp.set_header("Access-Control-Max-Age", "600")
            resp.status = falcon.HTTP_204
            resp.data = b""


class AuthenticationMiddleware:
    """Resolve a bearer token to ``req.context.user``.

    A bad token is remembered rather than raised here, so public endpoints
    (login with a stale token in the browser) still work; ``endpoint`` raises
    it for protected ones.
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         params: dict[str, Any]) -> None:
        header = req.get_header("Authorization")
        if not header or req.context.database_error is not None:
            return
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            req.context.auth_error = AuthenticationFailed(
                "Use an 'Authorization: Bearer <access token>' header.")
            return
        try:
            user, session_id = self.kernel.auth.authenticate_access_token(token.strip())
        except AuthenticationFailed as exc:
            req.context.auth_error = exc
            return
        req.context.user = user
        req.context.session_id = session_id
