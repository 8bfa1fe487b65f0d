"""Request body streams: a failure while reading a body is the client's, so a 4xx, never a 500.

The WSGI server's input stream raises whatever its parser meets: gunicorn's
``InvalidChunkSize`` or ``ChunkMissingTerminator`` for broken chunked framing,
``NoMoreData`` for a body cut short, ``OSError`` for a reset connection,
``TimeoutError`` when the client stops sending. Unhandled, each became a 500.
:func:`guard_body` wraps ``wsgi.input`` once per request, before Falcon or any
reader (JSON, multipart, a middleware peeking at the body) can touch it, so
every read error leaves as :class:`~synergy.errors.MalformedBody` (400) or, for
a client that went quiet, :class:`~synergy.errors.RequestTimeout` (408).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from synergy.errors import MalformedBody, RequestTimeout, SynergyError


class GuardedInput:
    """``wsgi.input`` with every read translated into a domain error on failure."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def read(self, *args: Any) -> bytes:
        return _guarded(self.stream.read, *args)

    def readline(self, *args: Any) -> bytes:
        return _guarded(self.stream.readline, *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return _guarded(self.stream.readlines, *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def _guarded(method: Callable[..., Any], *args: Any) -> Any:
    try:
        return method(*args)
    except SynergyError:
        raise
    except TimeoutError:
        raise RequestTimeout("The request body did not arrive in time.") from None
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise MalformedBody(f"The request body could not be read: {detail}.") from None


def guard_body(environ: dict[str, Any]) -> None:
    """Wrap the request's input stream (once: a wrapped stream is left as it is)."""
    stream = environ.get("wsgi.input")
    if stream is not None and not isinstance(stream, GuardedInput):
        environ["wsgi.input"] = GuardedInput(stream)
