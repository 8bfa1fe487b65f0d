"""The gunicorn worker behind ``synergy serve``: gthread threads, fed only complete requests.

Why: whoever reads a request from the socket is held for as long as the client takes to send
it. Two clients trickling a body one byte a second held both sync workers of a default server,
and a health check waited 14 s. gunicorn's gthread worker only keeps *idle* connections out of
its threads (it waits a few seconds for a first byte, then parks the connection); once bytes
arrive, a thread blocks on the rest of the headers and on the whole body. More threads only
raise the number of slow clients it takes.

This worker receives every request — headers and body, on new and on kept-alive connections —
in its event loop, without blocking (:class:`synergy.request_buffer.RequestBuffer`), and submits
a connection to the thread pool only once its request is complete. gunicorn's own parser then
reads the request from that buffer, never from the socket, so a thread only ever runs the
application and writes the answer. A client has ``SYNERGY_REQUEST_TIMEOUT`` seconds, plus one
second per 64 KiB of body received (a 50 MB upload gets about 13 minutes at least), to send
its request; past that it is answered ``408 request_timeout`` and disconnected, and a
connection that never sent a byte is closed silently.

Closing a connection (``Connection: close``, errors, a 408) is done in the event loop too,
where gunicorn's thread worker waits up to 2 s for the client in its loop; and a thread writing
an answer gives up on a client that reads nothing for ``SYNERGY_REQUEST_TIMEOUT`` seconds.

gunicorn's thread worker is extended through methods that are not its public API (``accept``,
``finish_request``, ``handle_request``, ``murder_pending``, ``on_client_socket_readable``),
which is why setup.cfg pins gunicorn to one major version. TLS and uWSGI are left to the plain
gthread behaviour: ``synergy serve`` speaks plain HTTP, with TLS terminated by a proxy.
"""

from __future__ import annotations

import errno
import json
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn.http.parser import RequestParser
from gunicorn.workers.gthread import TConn, ThreadWorker

from synergy.request_buffer import RequestBuffer
from synergy.settings import Settings

#: Minimum upload rate a client is held to once its time is up: each byte received buys this
#: much of a second.
BODY_BYTES_PER_SECOND = 64 * 1024
#: How long a refused client may go on sending before its connection is closed for good
#: (reading what it sends lets the 408 reach it instead of being lost to a reset).
_LINGER_SECONDS = 2.0
#: Room for multipart framing around the largest upload the app accepts.
_BODY_SLACK = 1024 * 1024
_RECV_SIZE = 64 * 1024


def error_response(status: int, reason: str, code: str, message: str) -> bytes:
    """An answer in the API's one error shape (see ``synergy.http.errors``), written by the
    event loop for a request that never reached the app."""
    body = json.dumps({"error": {
        "status": status, "code": code, "message": message, "fields": {},
        "request_id": None}}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def timeout_response() -> bytes:
    return error_response(408, "Request Timeout", "request_timeout",
                          "The request was not received in time; send it again, faster.")


def cut_short_response() -> bytes:
    return error_response(400, "Bad Request", "malformed_body",
                          "The connection ended before the whole request was received.")


class BufferingThreadWorker(ThreadWorker):
    """gthread with requests received in the event loop (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections the event loop reads: None while receiving a request, else the time a
        # refused client's connection closes.
        self.collecting: dict[TConn, float | None] = {}
        self.request_timeout = 10.0
        self.body_limit = 0

    def run(self) -> None:
        # The bench runs its reference app on this worker too: it has no settings of its own.
        settings = getattr(self.wsgi, "settings", None) or Settings()
        self.request_timeout = settings.request_timeout
        self.body_limit = (max(settings.max_upload_mb * 1024 * 1024, settings.max_json_kb * 1024)
                           + _BODY_SLACK)
        super().run()

    @property
    def buffering(self) -> bool:
        return not self.cfg.is_ssl and getattr(self.cfg, "protocol", "http") == "http"

    def accept(self, listener: socket.socket) -> None:
        if not self.buffering:
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self.collect(TConn(self.cfg, client, address, listener.getsockname()), b"")

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection starts its next request: receive it like the first."""
        if not self.buffering:
            super().on_client_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.collect(conn, b"")

    def collect(self, conn: TConn, received: bytes) -> None:
        """Receive a request on ``conn`` in the event loop, starting with bytes already read."""
        conn.sock.setblocking(False)
        conn.request = RequestBuffer(time.monotonic(), self.body_limit)
        conn.request.feed(received)
        if conn.request.complete:
            self.dispatch(conn)
            return
        self.collecting[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.receive, conn))

    def receive(self, conn: TConn, sock: socket.socket) -> None:
        data = self.recv(sock)
        if data is None:
            return
        if not data:
            self.forget(conn)
            if conn.request.head:
                # The client half-closed mid-request: it may still read why nothing happened.
                self.send_quietly(sock, cut_short_response())
            self.drop(conn)
            return
        request = conn.request
        had_headers = request.headers_done
        request.feed(data)
        if request.expects_continue and not had_headers and not request.complete:
            self.send_quietly(sock, b"HTTP/1.1 100 Continue\r\n\r\n")
            request.continued()
        if request.complete:
            self.forget(conn)
            self.dispatch(conn)

    def dispatch(self, conn: TConn) -> None:
        """Hand a complete request to a thread; gunicorn's parser reads it from the buffer."""
        conn.parser = RequestParser(self.cfg, conn.request, conn.client)
        conn.initialized = True
        conn.data_ready = True
        self.enqueue_req(conn)

    def handle_request(self, req: Any, conn: TConn) -> bool:
        """Run the app in a thread; a client that stops reading the answer is cut off.

        The timeout bounds each write (a JSON answer, or one piece of a download), so a
        client that reads nothing holds the thread ``SYNERGY_REQUEST_TIMEOUT`` seconds, not
        for ever. Reads never touch the socket here: the request is already buffered.
        """
        conn.sock.settimeout(self.request_timeout)
        try:
            return super().handle_request(req, conn)
        except TimeoutError:
            self.log.info("%s stopped reading its response; connection closed", conn.client)
            return False

    def finish_request(self, conn: TConn, fs: Any) -> None:
        request = getattr(conn, "request", None)
        if request is None:
            super().finish_request(conn, fs)
            return
        conn.request = None
        request.close()
        keep_alive = not fs.cancelled() and fs.exception() is None and fs.result() is True
        if keep_alive and request.surplus and self.alive:
            # A pipelined request arrived with the last one: the socket will not signal it.
            self.collect(conn, request.surplus)
        elif keep_alive:
            super().finish_request(conn, fs)
        else:
            # gunicorn's own graceful close waits for the client in this loop, up to 2 s.
            self.linger(conn)

    def murder_pending(self) -> None:
        """Also cut off clients too slow to send their request, and end refused ones."""
        super().murder_pending()
        now = time.monotonic()
        for conn, closes in list(self.collecting.items()):
            if closes is not None:
                if now >= closes:
                    self.forget(conn)
                    self.drop(conn)
            elif now >= conn.request.deadline(self.request_timeout, BODY_BYTES_PER_SECOND):
                self.refuse(conn)

    def refuse(self, conn: TConn) -> None:
        """408 to a client that started a request; silence to one that sent nothing."""
        request = conn.request
        conn.request = None
        request.close()
        self.forget(conn)
        if not request.head:
            self.drop(conn)
            return
        self.log.info("408: %s did not send its request within the time allowed", conn.client)
        self.send_quietly(conn.sock, timeout_response())
        self.linger(conn)

    def linger(self, conn: TConn) -> None:
        """Close after the answer without losing it, in the event loop (RFC 9112, 9.6).

        Half-closing, then reading what the client still sends until it closes (or for
        ``_LINGER_SECONDS``), keeps a reset from destroying the answer it has not read yet.
        """
        conn.sock.setblocking(False)
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.drop(conn)
            return
        self.collecting[conn] = time.monotonic() + _LINGER_SECONDS
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.discard, conn))

    def discard(self, conn: TConn, sock: socket.socket) -> None:
        data = self.recv(sock)
        if data is None:
            return
        if not data:
            self.forget(conn)
            self.drop(conn)

    def forget(self, conn: TConn) -> None:
        if conn in self.collecting:
            del self.collecting[conn]
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass

    def drop(self, conn: TConn) -> None:
        if getattr(conn, "request", None) is not None:
            conn.request.close()
            conn.request = None
        self.nr_conns -= 1
        conn.close()

    @staticmethod
    def recv(sock: socket.socket) -> bytes | None:
        """What a readable non-blocking socket holds: None for nothing yet, b"" once closed."""
        try:
            return sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return b""

    @staticmethod
    def send_quietly(sock: socket.socket, data: bytes) -> None:
        """Best effort on a non-blocking socket: these answers fit in its send buffer."""
        try:
            sock.send(data)
        except OSError:
            pass
