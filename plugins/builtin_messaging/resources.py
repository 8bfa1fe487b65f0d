"""HTTP resources of ``/api/messages/``: parse, call :mod:`synergy_messaging.service`, render."""

from __future__ import annotations

from typing import Any

import falcon
import peewee
from synergy_messaging import schemas, service
from synergy_messaging.models import Message, MessageRead
from synergy_messaging.render import member_project_ids, message_query, render_messages

from synergy import Route
from synergy.http import endpoint, paginate
from synergy.models import Project

TAGS = ("messages",)


class _Resource:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    def render_page(self, req: falcon.Request, query: peewee.ModelSelect) -> dict[str, Any]:
        user = req.context.user
        return paginate(req, query.order_by(Message.id),
                        lambda rows: render_messages(rows, user))

    def render(self, req: falcon.Request, message: Message) -> dict[str, Any]:
        return render_messages([message], req.context.user)[0]


class Messages(_Resource):
    @endpoint("List messages, oldest first: top-level ones, or one thread with ?thread=",
              query=schemas.MessageListQuery, response=schemas.MessageOut, many=True,
              tags=TAGS, errors=(400, 401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = req.context.user
        params = req.context.query
        query = message_query()
        if "thread" in params:
            root_id = service.visible_message(self.kernel, user, params["thread"]).thread_id
            query = query.where((Message.id == root_id) | (Message.parent == root_id))
        else:
            query = query.where(Message.parent.is_null())
        if "project" in params:
            project = service.visible_project(self.kernel, user, params["project"])
            query = query.where(Message.project == project.id)
        elif "thread" not in params:
            query = query.where(Message.project.in_(member_project_ids(user)))
        resp.media = self.render_page(req, query)

    @endpoint("Post a message to a project you belong to", body=schemas.MessageCreate,
              response=schemas.MessageOut, status=201, tags=TAGS,
              errors=(400, 401, 403, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = req.context.body
        message = service.post_message(self.kernel, req.context.user, body["project"],
                                       body["message"], body.get("parent"))
        resp.media = self.render(req, service.visible_message(self.kernel, req.context.user,
                                                              message.id))


class MessageDetail(_Resource):
    @endpoint("One message", response=schemas.MessageOut, tags=TAGS, errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        resp.media = self.render(req, service.visible_message(self.kernel, req.context.user,
                                                              message_id))

    @endpoint("Replace a message's text (sender only)", body=schemas.MessageEdit,
              response=schemas.MessageOut, tags=TAGS, errors=(400, 401, 403, 404, 409))
    def on_put(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        self._edit(req, resp, message_id)

    @endpoint("Change a message's text (sender only)", body=schemas.MessageEdit,
              response=schemas.MessageOut, tags=TAGS, errors=(400, 401, 403, 404, 409))
    def on_patch(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        self._edit(req, resp, message_id)

    def _edit(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        user = req.context.user
        message = service.visible_message(self.kernel, user, message_id)
        if "message" in req.context.body:
            service.edit_message(self.kernel, user, message, req.context.body["message"])
        resp.media = self.render(req, service.visible_message(self.kernel, user, message_id))

    @endpoint("Delete a message (sender or project owner); a root with replies stays as a "
              "placeholder", status=204, tags=TAGS, errors=(401, 403, 404))
    def on_delete(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        user = req.context.user
        service.delete_message(self.kernel, user,
                               service.visible_message(self.kernel, user, message_id))


class MarkRead(_Resource):
    @endpoint("Mark a message read for the caller", response=schemas.ReadOut, tags=TAGS,
              errors=(401, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        user = req.context.user
        message = service.visible_message(self.kernel, user, message_id)
        service.mark_read(user, message)
        resp.media = {"id": message.id, "is_read": True}


class Replies(_Resource):
    @endpoint("Replies to a thread root, oldest first", response=schemas.MessageOut,
              many=True, tags=TAGS, errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, message_id: int) -> None:
        message = service.visible_message(self.kernel, req.context.user, message_id)
        resp.media = self.render_page(req, message_query().where(Message.parent == message.id))


class Unread(_Resource):
    @endpoint("Messages the caller has not read, across their projects, with counts per "
              "project", query=schemas.UnreadQuery, response=schemas.MessageOut, many=True,
              tags=TAGS, errors=(400, 401))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = req.context.user
        condition = (Message.project.in_(member_project_ids(user))
                     & (Message.is_deleted == False)  # noqa: E712
                     & (Message.sender != user.id)
                     & Message.id.not_in(MessageRead.select(MessageRead.message)
                                         .where(MessageRead.user == user.id)))
        if "project" in req.context.query:
            condition &= Message.project == req.context.query["project"]
        page = self.render_page(req, message_query().where(condition))
        per_project = (Message.select(Project.id, Project.name, peewee.fn.COUNT(Message.id))
                       .join(Project).where(condition).group_by(Project.id, Project.name)
                       .order_by(Project.id).tuples())
        page["projects"] = [{"id": project_id, "name": name, "unread": count}
                            for project_id, name, count in per_project]
        resp.media = page


def messaging_routes(kernel: Any) -> list[Route]:
    message = "{message_id:id}"
    return [
        Route("/api/messages", Messages(kernel)),
        Route("/api/messages/unread", Unread(kernel)),
        Route(f"/api/messages/{message}", MessageDetail(kernel)),
        Route(f"/api/messages/{message}/read", MarkRead(kernel)),
        Route(f"/api/messages/{message}/replies", Replies(kernel)),
    ]
