"""HTTP resources: the security log, the dashboard summary, sessions and staff unlock."""

from __future__ import annotations

from typing import Any

import falcon
from synergy_security import queries, schemas
from synergy_security.security_log import record_security_event
from synergy_security.services import services

from synergy import Route
from synergy.errors import NotFound
from synergy.http import endpoint, iso, paginate
from synergy.models import AuthSession, User, utcnow
from synergy.schema import Schema

SUMMARY_ACTION = "security.view_summary"
UNLOCK_ACTION = "security.unlock"
STAFF_ACTIONS = frozenset({SUMMARY_ACTION, UNLOCK_ACTION})


class NoBody(Schema):
    """No fields: anything sent is refused as unknown."""


class SecurityEvents:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("The security log: your own entries (staff: everyone's), newest first",
              query=schemas.SecurityEventQuery, response=schemas.SecurityEventOut, many=True,
              tags=("security",), errors=(400, 401))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        events = queries.filtered_events(req.context.user, req.context.query)
        resp.media = paginate(req, events, queries.render_events)


class Summary:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Security dashboard: counters per type and day, top failed-login IPs, "
              "locked accounts (staff)", query=schemas.SummaryQuery,
              response=schemas.SummaryOut, tags=("security",), errors=(400, 401, 403))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.kernel.permissions.require(req.context.user, SUMMARY_ACTION, None, req)
        query = req.context.query
        resp.media = queries.summary(query.get("date_from"), query.get("date_to"))


def _live_sessions(user: User) -> Any:
    return AuthSession.select().where(AuthSession.user == user.id,
                                      AuthSession.revoked_at.is_null(),
                                      AuthSession.expires_at > utcnow())


class Sessions:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Your live login sessions, most recently used first",
              response=schemas.SessionOut, many=True, tags=("auth", "security"),
              errors=(401,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        current = req.context.session_id
        query = _live_sessions(req.context.user).order_by(AuthSession.last_used_at.desc(),
                                                          AuthSession.created_at.desc())

        def render(rows: list[AuthSession]) -> list[dict[str, Any]]:
            return [{"id": row.id, "created_at": iso(row.created_at),
                     "last_used_at": iso(row.last_used_at), "expires_at": iso(row.expires_at),
                     "ip_address": row.ip_address, "user_agent": row.user_agent,
                     "current": row.id == current} for row in rows]

        resp.media = paginate(req, query, render)


class Session:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("End one of your sessions: its refresh token and access tokens stop at once",
              status=204, tags=("auth", "security"), errors=(401, 404))
    def on_delete(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        user = req.context.user
        session = _live_sessions(user).where(AuthSession.id == session_id[:32]).first()
        if session is None:
            raise NotFound("You have no live session with that id.")
        with self.kernel.db.atomic():
            self.kernel.auth.revoke_sessions(user.id, reason="revoked_by_user",
                                             only=session.id)
            record_security_event(
                "session_revoked", user=user, ip=req.context.client_ip,
                user_agent=req.user_agent or "",
                description=f"{user.username} ended a session",
                metadata={"session_id": session.id, "session_ip": session.ip_address,
                          "current": session.id == req.context.session_id})


class Unlock:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Lift an account lockout now (staff)", body=NoBody,
              response=schemas.UnlockOut, tags=("security",), errors=(400, 401, 403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        self.kernel.permissions.require(req.context.user, UNLOCK_ACTION, None, req)
        target = User.get_or_none(User.id == user_id)
        if target is None:
            raise NotFound("No such user.")
        was_locked = services(self.kernel).lockout.unlock(
            target, actor=req.context.user, ip=req.context.client_ip,
            user_agent=req.user_agent or "", via="api")
        resp.media = {"user": {"id": target.id, "username": target.username},
                      "was_locked": was_locked}


def security_routes(kernel: Any) -> list[Route]:
    return [
        Route("/api/auth/security-events", SecurityEvents(kernel)),
        Route("/api/auth/sessions", Sessions(kernel)),
        Route("/api/auth/sessions/{session_id}", Session(kernel)),
        Route("/api/security/summary", Summary(kernel)),
        Route("/api/security/users/{user_id:id}/unlock", Unlock(kernel)),
    ]
