"""HTTP resources of ``/api/webhooks/``: parse, call :mod:`service`, render.

Every route is owner-only: a webhook (or delivery) of somebody else is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

import falcon
from synergy_webhooks import schemas, service
from synergy_webhooks.models import Delivery, Webhook
from synergy_webhooks.render import render_deliveries, render_webhook
from synergy_webhooks.stats import webhook_stats

from synergy import Route
from synergy.http import endpoint, paginate
from synergy.schema import Schema

TAGS = ("webhooks",)


class NoBody(Schema):
    """No fields: anything sent is rejected as unknown."""


class _Resource:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel


class WebhookList(_Resource):
    @endpoint("List your webhooks", response=schemas.WebhookOut, many=True, tags=TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = (Webhook.select().where(Webhook.owner == req.context.user.id)
                 .order_by(Webhook.created_at.desc(), Webhook.id))
        resp.media = paginate(req, query, lambda rows: [render_webhook(h) for h in rows])

    @endpoint("Create a webhook (the response is the only one showing its secret)",
              body=schemas.WebhookBody, response=schemas.WebhookOut, status=201, tags=TAGS,
              errors=(400,))
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.kernel.db.atomic():
            webhook = service.create(self.kernel, req.context.user, req.context.body)
        resp.media = render_webhook(webhook, secret=True)


class WebhookDetail(_Resource):
    @endpoint("Show one of your webhooks", response=schemas.WebhookOut, tags=TAGS,
              errors=(404,))
    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        resp.media = render_webhook(service.owned(req.context.user, webhook_id))

    @endpoint("Replace a webhook", body=schemas.WebhookBody, response=schemas.WebhookOut,
              tags=TAGS, errors=(400, 404))
    def on_put(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        self._update(req, resp, webhook_id)

    @endpoint("Change some fields of a webhook", body=schemas.WebhookBody,
              response=schemas.WebhookOut, tags=TAGS, errors=(400, 404))
    def on_patch(self, req: falcon.Request, resp: falcon.Response,
                 webhook_id: uuid.UUID) -> None:
        self._update(req, resp, webhook_id)

    def _update(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        user = req.context.user
        with self.kernel.db.atomic():
            webhook = service.update(self.kernel, user, service.owned(user, webhook_id),
                                     req.context.body)
        resp.media = render_webhook(webhook)

    @endpoint("Delete a webhook and its delivery log", status=204, tags=TAGS, errors=(404,))
    def on_delete(self, req: falcon.Request, resp: falcon.Response,
                  webhook_id: uuid.UUID) -> None:
        with self.kernel.db.atomic():
            service.owned(req.context.user, webhook_id).delete_instance(recursive=True)


class WebhookTest(_Resource):
    @endpoint("Send a webhook.test event to this webhook now", body=NoBody,
              response=schemas.DeliveryOut, status=202, tags=TAGS, errors=(404, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        user = req.context.user
        with self.kernel.db.atomic():
            delivery = service.send_test(self.kernel, user, service.owned(user, webhook_id))
        resp.media = render_deliveries([delivery])[0]


class WebhookRotate(_Resource):
    @endpoint("Replace the secret; the previous one keeps signing for a grace period",
              body=schemas.RotateBody, response=schemas.WebhookOut, tags=TAGS,
              errors=(400, 404))
    def on_post(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        user = req.context.user
        with self.kernel.db.atomic():
            webhook = service.rotate_secret(self.kernel, service.owned(user, webhook_id),
                                            req.context.body.get("grace_hours"))
        resp.media = render_webhook(webhook, secret=True)


class DeliveryList(_Resource):
    @endpoint("Deliveries of a webhook, newest first, with every attempt",
              query=schemas.DeliveryQuery, response=schemas.DeliveryOut, many=True, tags=TAGS,
              errors=(400, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        webhook = service.owned(req.context.user, webhook_id)
        filters = req.context.query
        query = Delivery.select().where(Delivery.webhook == webhook.id)
        if filters.get("status"):
            query = query.where(Delivery.status == filters["status"])
        event_type = filters.get("event_type")
        if event_type == "*":
            event_type = None
        if event_type and event_type.endswith(".*"):
            query = query.where(Delivery.event_type.startswith(event_type[:-1]))
        elif event_type:
            query = query.where(Delivery.event_type == event_type)
        query = query.order_by(Delivery.created_at.desc(), Delivery.id)
        resp.media = paginate(req, query, render_deliveries)


class DeliveryDetail(_Resource):
    @endpoint("One delivery with every attempt", response=schemas.DeliveryOut, tags=TAGS,
              errors=(404,))
    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID,
               delivery_id: uuid.UUID) -> None:
        webhook = service.owned(req.context.user, webhook_id)
        resp.media = render_deliveries([service.delivery_of(webhook, delivery_id)])[0]


class DeliveryRedeliver(_Resource):
    @endpoint("Send this delivery again now (same webhook-id and body)", body=NoBody,
              response=schemas.DeliveryOut, status=202, tags=TAGS, errors=(404, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID,
                delivery_id: uuid.UUID) -> None:
        user = req.context.user
        with self.kernel.db.atomic():
            delivery = service.redeliver(self.kernel, service.owned(user, webhook_id),
                                         delivery_id)
        resp.media = render_deliveries([delivery])[0]


class WebhookRecover(_Resource):
    @endpoint("Resend every failed delivery since a time", body=schemas.RecoverBody,
              response=schemas.CountOut, status=202, tags=TAGS, errors=(400, 404, 409))
    def on_post(self, req: falcon.Request, resp: falcon.Response, webhook_id: uuid.UUID) -> None:
        user = req.context.user
        with self.kernel.db.atomic():
            count = service.recover(self.kernel, service.owned(user, webhook_id),
                                    req.context.body["since"])
        resp.media = {"count": count}


class EventCatalogue(_Resource):
    @endpoint("Every event type a webhook can subscribe to, with examples",
              response=schemas.CatalogueOut, tags=TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"results": service.catalogue(self.kernel),
                      "patterns": ["*", "<prefix>.*", "<exact type>"]}


class Stats(_Resource):
    @endpoint("Delivery totals, success rate and latency, per webhook and overall",
              response=schemas.StatsOut, tags=TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = webhook_stats(req.context.user)


def webhook_routes(kernel: Any) -> list[Route]:
    base = "/api/webhooks"
    one = base + "/{webhook_id:uuid}"
    return [
        Route(base + "/", WebhookList(kernel)),
        Route(base + "/events/", EventCatalogue(kernel)),
        Route(base + "/stats/", Stats(kernel)),
        Route(one + "/", WebhookDetail(kernel)),
        Route(one + "/test/", WebhookTest(kernel)),
        Route(one + "/rotate_secret/", WebhookRotate(kernel)),
        Route(one + "/recover/", WebhookRecover(kernel)),
        Route(one + "/deliveries/", DeliveryList(kernel)),
        Route(one + "/deliveries/{delivery_id:uuid}/", DeliveryDetail(kernel)),
        Route(one + "/deliveries/{delivery_id:uuid}/redeliver/", DeliveryRedeliver(kernel)),
    ]
