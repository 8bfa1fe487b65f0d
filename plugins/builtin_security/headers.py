"""Security headers on every response, errors and unknown paths included.

The plugin fills in what a response lacks and never overwrites a header the
responder chose: an attachment download sets a stricter CSP
(``default-src 'none'; sandbox``) and its own ``Cache-Control``, and those win.
``Cache-Control: no-store`` is attached to the routes under ``/api/auth/`` and
``/api/security/`` by the template Falcon resolved (so every spelling of their
paths gets it) and to responses that reached no route at all.
"""

from __future__ import annotations

from typing import Any

import falcon

NO_STORE_PREFIXES = ("/api/auth/", "/api/security/")


def _needs_no_store(req: falcon.Request) -> bool:
    template = req.uri_template
    if template is None:
        return True
    return (template + "/").startswith(NO_STORE_PREFIXES)


class SecurityHeadersMiddleware:
    def __init__(self, kernel: Any) -> None:
        settings = kernel.settings
        self.headers = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": settings.security_content_security_policy,
        }
        if settings.is_production and settings.security_hsts_seconds:
            self.headers["Strict-Transport-Security"] = (
                f"max-age={settings.security_hsts_seconds}; includeSubDomains")

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        for name, value in self.headers.items():
            if resp.get_header(name) is None:
                resp.set_header(name, value)
        if resp.get_header("Cache-Control") is None and _needs_no_store(req):
            resp.set_header("Cache-Control", "no-store")
