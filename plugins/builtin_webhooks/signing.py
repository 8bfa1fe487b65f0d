"""Message signatures: Standard Webhooks, plus the original system's header.

Standard Webhooks signs ``"{webhook-id}.{webhook-timestamp}.{body}"`` with the
base64-decoded part of a ``whsec_`` secret; during a rotation every live
secret signs, space-separated, so receivers holding either secret verify.
``X-Webhook-Signature`` (``sha256=<hex HMAC of the body>`` keyed with the
secret's UTF-8 text) is kept for receivers written for the original system;
it is signed with the current secret only and, as before, does not cover the
timestamp — receivers should move to ``webhook-signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_in_use: Iterable[str], message_id: str, timestamp: int,
                     body: bytes) -> str:
    return " ".join(standard_signature(secret, message_id, timestamp, body)
                    for secret in secrets_in_use)


def legacy_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
