"""User-supplied HTML reduced to a small safe subset (descriptions and comments)."""

from __future__ import annotations

import re

import bleach

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# bleach strips disallowed tags but keeps their text; for these the text is code, not prose.
_DROPPED_WITH_CONTENT = re.compile(
    r"<(script|style|template|iframe|object|noscript|textarea|title)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL)


def sanitise_html(text: str) -> str:
    """Keep p, br, strong, em, lists and links with http/https/mailto; strip everything else."""
    if not text.strip():
        return ""
    text = _DROPPED_WITH_CONTENT.sub("", text)
    return bleach.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True).strip()
