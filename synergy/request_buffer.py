"""A whole HTTP/1.x request, collected piece by piece without blocking.

``synergy serve``'s worker (:mod:`synergy.serve_worker`) feeds this what a client sends, as it
arrives, and hands a thread only a complete request. It knows just enough HTTP to see where a
request ends (end of the headers, then ``Content-Length`` bytes or the last chunk of a chunked
body); everything else — validation, limits, errors — stays with gunicorn's parser, which reads
the collected bytes afterwards. When the framing is unclear (a malformed length, conflicting
headers, a broken chunk line) the request counts as complete at once, so that parser sees it
straight away and answers 400.

The body goes to a spooled file (memory up to 1 MiB, then a temporary file), so a large upload
costs disk, not memory. Bytes that arrive after the end of the request (a pipelined next
request) are kept apart as ``surplus``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

HEADER_END = b"\r\n\r\n"
#: Headers larger than this are handed on unfinished; gunicorn's limits refuse them.
MAX_HEADER_BYTES = 1024 * 1024
#: Longest chunk-size or trailer line; a longer one is malformed.
MAX_LINE_BYTES = 8192
_SPOOL_MEMORY = 1024 * 1024
_READ_SIZE = 64 * 1024


class _ChunkedEnd:
    """Finds where a chunked body ends, looking at each byte once and keeping none."""

    def __init__(self) -> None:
        self.line = bytearray()
        self.skip = 0
        self.in_trailer = False
        self.malformed = False

    def feed(self, data: bytes) -> int | None:
        """How many bytes of ``data`` end the body, or None when it goes on."""
        i = 0
        while i < len(data):
            if self.skip:
                step = min(self.skip, len(data) - i)
                self.skip -= step
                i += step
                continue
            j = data.find(b"\n", i)
            if j < 0:
                self.line += data[i:]
                if len(self.line) > MAX_LINE_BYTES:
                    return self._give_up(len(data))
                return None
            self.line += data[i:j]
            i = j + 1
            line = bytes(self.line).rstrip(b"\r")
            self.line.clear()
            if self.in_trailer:
                if not line:
                    return i
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return self._give_up(i)
            if size < 0:
                return self._give_up(i)
            if size == 0:
                self.in_trailer = True
            else:
                self.skip = size + 2  # the data and the CRLF after it
        return None

    def _give_up(self, consumed: int) -> int:
        self.malformed = True
        return consumed


class RequestBuffer:
    """One request being received: headers in memory, body in a spooled file."""

    def __init__(self, started: float, body_limit: int) -> None:
        self.started = started
        self.body_limit = body_limit
        self.head = bytearray()
        self.headers_done = False
        self.body = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)
        self.body_bytes = 0
        self.remaining: int | None = None
        self.chunked: _ChunkedEnd | None = None
        self.complete = False
        self.expects_continue = False
        self._expect_line = b""
        self.surplus = b""

    def deadline(self, timeout: float, bytes_per_second: float) -> float:
        """When the client must be done: ``timeout`` seconds, plus time for the body received."""
        return self.started + timeout + self.body_bytes / bytes_per_second

    def feed(self, data: bytes) -> None:
        """Take the next bytes from the client; sets ``complete`` at the end of the request."""
        if self.complete:
            self.surplus += data
            return
        if not self.headers_done:
            self.head += data
            end = self.head.find(HEADER_END)
            if end < 0:
                if len(self.head) > MAX_HEADER_BYTES:
                    self.complete = True
                return
            data = bytes(self.head[end + len(HEADER_END):])
            del self.head[end + len(HEADER_END):]
            self.headers_done = True
            self._read_framing()
            if self.complete:
                self.surplus = data
                return
        self._feed_body(data)

    def _feed_body(self, data: bytes) -> None:
        if self.chunked is not None:
            end = self.chunked.feed(data)
        elif self.remaining is not None:
            end = self.remaining if len(data) >= self.remaining else None
            self.remaining -= min(len(data), self.remaining)
        else:
            end = 0
        taken = data if end is None else data[:end]
        self.body.write(taken)
        self.body_bytes += len(taken)
        if end is not None:
            self.complete = True
            self.surplus = data[end:]
        elif self.body_bytes > self.body_limit:
            # Past every limit the app has: it refuses the request from what it got.
            self.complete = True

    def _read_framing(self) -> None:
        lengths: set[bytes] = set()
        encodings: list[bytes] = []
        for line in bytes(self.head).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                lengths.add(value.strip())
            elif name == b"transfer-encoding":
                encodings += [part.strip().lower() for part in value.split(b",")]
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                self.expects_continue = True
                self._expect_line = line
        if encodings:
            if lengths or encodings[-1] != b"chunked":
                self.complete = True  # refused by the parser
            else:
                self.chunked = _ChunkedEnd()
        elif lengths:
            length = lengths.pop()
            if lengths or not length.isdigit():
                self.complete = True
            elif int(length) > self.body_limit:
                self.complete = True  # answered 413 without being read
            else:
                self.remaining = int(length)
                self.complete = self.remaining == 0
        else:
            self.complete = True
        if self.complete:
            self.expects_continue = False

    def continued(self) -> None:
        """The client was told ``100 Continue``: drop its ``Expect`` so it is not told twice."""
        self.head = self.head.replace(b"\r\n" + self._expect_line + b"\r\n", b"\r\n", 1)
        self.expects_continue = False

    def __iter__(self) -> Iterator[bytes]:
        """The request as collected: headers, then the body read back from the spool."""
        yield bytes(self.head)
        self.body.seek(0)
        while piece := self.body.read(_READ_SIZE):
            yield piece
        self.body.close()

    def close(self) -> None:
        self.body.close()
