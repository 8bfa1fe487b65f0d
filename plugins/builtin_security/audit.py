"""Audit middleware: failed authorisations, recorded as responses leave.

Every 403 becomes a ``permission_denied`` entry (ASVS 16.3.2), and so does a 404
that a permission refusal produced (``require(..., hide=True)``): the plugin's
permission hook notes refusals on the request, so a genuine "no such object"
404 is not logged as a denial. Failed logins feed the lockout through the
kernel's ``synergy_password_checked`` hook (see ``plugin.py``), synchronously,
whatever path or command checked the password.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon
from synergy_security.security_log import record_security_event

log = logging.getLogger("synergy.security")

DENIALS_ATTRIBUTE = "security_denials"


def note_denial(request: Any, action: str) -> None:
    """Called by the permission hook when a check with a request says no."""
    context = getattr(request, "context", None)
    if context is None:
        return
    denials = getattr(context, DENIALS_ATTRIBUTE, None)
    if denials is None:
        denials = []
        setattr(context, DENIALS_ATTRIBUTE, denials)
    denials.append(action)


class AuditMiddleware:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        if resource is None or getattr(req.context, "database_error", None) is not None:
            return
        status = resp.status_code
        denials = getattr(req.context, DENIALS_ATTRIBUTE, None) or []
        if status == 403 or (status == 404 and denials):
            self._permission_denied(req, status, denials)

    @staticmethod
    def _permission_denied(req: falcon.Request, status: int, denials: list[str]) -> None:
        user = req.context.user
        record_security_event(
            "permission_denied", user=user, ip=req.context.client_ip,
            user_agent=req.user_agent or "",
            description=f"{req.method} {req.path} refused ({status})",
            metadata={"method": req.method, "path": req.path, "status": status,
                      "actions": sorted(set(denials))})
