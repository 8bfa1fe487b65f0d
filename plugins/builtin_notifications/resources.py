"""HTTP resources of ``/api/notifications/``: always the caller's own notifications."""

from __future__ import annotations

from typing import Any

import falcon
from synergy_notifications import schemas
from synergy_notifications.models import Notification
from synergy_notifications.preferences import get_preferences, update_preferences

from synergy import Route
from synergy.errors import NotFound
from synergy.http import endpoint, iso, paginate
from synergy.models import utcnow

TAGS = ("notifications",)


def render(notification: Notification) -> dict[str, Any]:
    return {"id": notification.id, "type": notification.type, "title": notification.title,
            "message": notification.message, "action_url": notification.action_url,
            "metadata": notification.metadata, "read": notification.read,
            "read_at": iso(notification.read_at), "created_at": iso(notification.created_at)}


def _unread(user: Any) -> Any:
    return (Notification.recipient == user.id) & (Notification.read == False)  # noqa: E712


class Notifications:
    @endpoint("The caller's notifications, newest first", query=schemas.NotificationQuery,
              response=schemas.NotificationOut, many=True, tags=TAGS, errors=(400, 401))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = req.context.query
        query = Notification.select().where(Notification.recipient == req.context.user.id)
        if "read" in params:
            query = query.where(Notification.read == params["read"])
        if "type" in params:
            query = query.where(Notification.type == params["type"])
        resp.media = paginate(req, query.order_by(Notification.id.desc()),
                              lambda rows: [render(row) for row in rows])


class MarkRead:
    @endpoint("Mark one of the caller's notifications read", response=schemas.NotificationOut,
              tags=TAGS, errors=(401, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response,
                notification_id: int) -> None:
        notification = Notification.get_or_none(
            Notification.id == notification_id,
            Notification.recipient == req.context.user.id)
        if notification is None:
            raise NotFound("No such notification.")
        if not notification.read:
            notification.read, notification.read_at = True, utcnow()
            notification.save()
        resp.media = render(notification)


class MarkAllRead:
    @endpoint("Mark all the caller's notifications read", response=schemas.CountOut,
              tags=TAGS, errors=(401,))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count = (Notification.update(read=True, read_at=utcnow())
                 .where(_unread(req.context.user)).execute())
        resp.media = {"count": count}


class UnreadCount:
    @endpoint("How many of the caller's notifications are unread", response=schemas.CountOut,
              tags=TAGS, errors=(401,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"count": Notification.select().where(_unread(req.context.user)).count()}


class Preferences:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("The caller's notification preferences", response=schemas.PreferencesBody,
              tags=TAGS, errors=(401,))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = get_preferences(req.context.user).as_dict()

    @endpoint("Replace the caller's notification preferences", body=schemas.PreferencesBody,
              response=schemas.PreferencesBody, tags=TAGS, errors=(400, 401))
    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = update_preferences(self.kernel, req.context.user, req.context.body,
                                        replace=True).as_dict()

    @endpoint("Change some of the caller's notification preferences",
              body=schemas.PreferencesBody, response=schemas.PreferencesBody, tags=TAGS,
              errors=(400, 401))
    def on_patch(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = update_preferences(self.kernel, req.context.user, req.context.body,
                                        replace=False).as_dict()


def notification_routes(kernel: Any) -> list[Route]:
    return [
        Route("/api/notifications", Notifications()),
        Route("/api/notifications/read_all", MarkAllRead()),
        Route("/api/notifications/unread_count", UnreadCount()),
        Route("/api/notifications/preferences", Preferences(kernel)),
        Route("/api/notifications/{notification_id:id}/read",
              MarkRead()),
    ]
