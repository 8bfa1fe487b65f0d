"""Message text: HTML sanitising and ``@username`` mention parsing."""

from __future__ import annotations

import re

import bleach

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MAX_LENGTH = 10_000
# bleach strips disallowed tags but keeps their text; for these the text is code, not prose.
_DROPPED_WITH_CONTENT = re.compile(
    r"<(script|style|template|iframe|object|noscript|textarea|title)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL)

# Usernames as registration accepts them; the look-behind keeps e-mail addresses
# (ada@example.com) and paths from being read as mentions.
_MENTION = re.compile(r"(?<![\w.@/])@([A-Za-z0-9][A-Za-z0-9_.-]{2,29})")


def sanitise(text: str) -> str:
    """The rule task descriptions follow: p, br, strong, em, lists, http/https/mailto links."""
    text = _DROPPED_WITH_CONTENT.sub("", text)
    return bleach.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True).strip()


def plain_text(html: str) -> str:
    return bleach.clean(html, tags=set(), strip=True)


def mentioned_usernames(html: str) -> set[str]:
    """Lower-cased usernames written as ``@name`` in the visible text (a final dot dropped)."""
    return {match.rstrip(".").lower() for match in _MENTION.findall(plain_text(html))}
