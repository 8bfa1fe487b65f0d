"""``synergy serve`` stays responsive while clients trickle their requests (issue #10, row 7).

Twenty clients send one byte every half second — ten never finish their headers, ten never
finish their body — against a default ``synergy serve`` (2 workers). Health checks must still
answer within a second, and every slow client must be cut off with a 408 in bounded time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from synergy.request_buffer import RequestBuffer
from tests.kernel.conftest import Served, serve_environment, start_serve

REQUEST_TIMEOUT = 3.0
HEADERS = (b"POST /api/projects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("slow")
    env = serve_environment(root / "data", database_url, SYNERGY_QUEUE_IMMEDIATE="true",
                            SYNERGY_REQUEST_TIMEOUT=str(REQUEST_TIMEOUT))
    served = start_serve(["--no-worker"], env, root)
    yield served
    served.stop()


class Trickler:
    """Sends each socket its next byte every ``interval`` seconds, in one thread."""

    def __init__(self, pending: dict[socket.socket, bytes], interval: float = 0.5) -> None:
        self.pending = pending
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            for sock, rest in list(self.pending.items()):
                if not rest:
                    continue
                try:
                    sock.send(rest[:1])
                    self.pending[sock] = rest[1:]
                except OSError:
                    self.pending[sock] = b""

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


def _connect(port: int, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(first)
    return sock


def _answer(sock: socket.socket, until: float) -> bytes:
    """What the server sent before closing the connection (or until ``until``)."""
    received = b""
    while (left := until - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            piece = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not piece:
            break
        received += piece
    return received


@pytest.mark.slow
def test_health_stays_fast_while_twenty_clients_trickle_and_they_get_408(served: Served) -> None:
    body = json.dumps({"name": "x" * 150}).encode().ljust(200)
    slow_headers = {_connect(served.port, HEADERS[:20]): HEADERS[20:] for _ in range(10)}
    slow_bodies = {_connect(served.port, HEADERS + body[:5]): body[5:] for _ in range(10)}
    connected = time.monotonic()
    trickler = Trickler({**slow_headers, **slow_bodies})
    try:
        time.sleep(1)
        waits = []
        for _ in range(5):
            started = time.monotonic()
            status, answer = served.health()
            waits.append(time.monotonic() - started)
            assert status == 200, answer
            time.sleep(0.2)
        assert max(waits) < 1.0, waits

        cut_off_by = connected + REQUEST_TIMEOUT + 3
        for sock in [*slow_headers, *slow_bodies]:
            answer = _answer(sock, cut_off_by)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
            assert error["code"] == "request_timeout"
            assert error["status"] == 408
        assert time.monotonic() < cut_off_by
    finally:
        trickler.stop()
        for sock in [*slow_headers, *slow_bodies]:
            sock.close()
    assert served.health()[0] == 200


@pytest.mark.slow
def test_clients_that_never_close_after_connection_close_hold_nothing(served: Served) -> None:
    """gunicorn's own graceful close waits up to 2 s for the client in the event loop."""
    request = (b"GET /api/auth/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: close\r\n\r\n")
    idle = [_connect(served.port, request) for _ in range(20)]
    try:
        time.sleep(0.5)
        started = time.monotonic()
        assert served.health()[0] == 200
        assert time.monotonic() - started < 1.0
        for sock in idle:
            assert _answer(sock, time.monotonic() + 5).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.slow
def test_a_client_that_stops_reading_is_cut_off(served: Served) -> None:
    """Its answers fill the socket buffers; the thread writing them gives up, not waits."""
    request = b"GET /api/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", served.port))
        sock.sendall(request * 100)
        deadline = time.monotonic() + REQUEST_TIMEOUT + 5
        while time.monotonic() < deadline and not any(
                "stopped reading its response" in line for line in served.log):
            time.sleep(0.2)
        assert served.health()[0] == 200
        received = _answer(sock, time.monotonic() + 10)
    assert any("stopped reading its response" in line for line in served.log)
    assert 0 < received.count(b"HTTP/1.1 200 ") < 100


@pytest.mark.slow
def test_a_request_sent_in_pieces_within_the_time_is_answered(served: Served) -> None:
    body = json.dumps({"name": "Apollo"}).encode()
    headers = HEADERS.replace(b"Content-Length: 200", f"Content-Length: {len(body)}".encode())
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(headers[:30])
        time.sleep(0.5)
        sock.sendall(headers[30:] + body[:10])
        time.sleep(0.5)
        sock.sendall(body[10:])
        answer = _answer(sock, time.monotonic() + 5)
    assert answer.startswith(b"HTTP/1.1 401 "), answer


@pytest.mark.slow
def test_pipelined_and_kept_alive_requests_are_all_answered(served: Served) -> None:
    request = b"GET /api/auth/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(request * 3)
        received = b""
        deadline = time.monotonic() + 5
        while received.count(b"HTTP/1.1 200 ") < 3 and time.monotonic() < deadline:
            sock.settimeout(deadline - time.monotonic())
            received += sock.recv(65536)
        sock.sendall(request)
        while received.count(b"HTTP/1.1 200 ") < 4 and time.monotonic() < deadline:
            received += sock.recv(65536)
    assert received.count(b"HTTP/1.1 200 ") == 4, received


@pytest.mark.slow
def test_expect_100_continue_gets_its_interim_answer_before_the_body(served: Served) -> None:
    body = json.dumps({"name": "Apollo"}).encode()
    headers = HEADERS.replace(b"Content-Length: 200",
                              f"Content-Length: {len(body)}\r\nExpect: 100-continue".encode())
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(headers)
        sock.settimeout(3)
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = _answer(sock, time.monotonic() + 5)
    assert answer.startswith(b"HTTP/1.1 401 "), answer



CHUNKED = (b"POST /api/auth/login/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;ext=1\r\nhello\r\n1\r\n\n\r\n0\r\nTrailer: yes\r\n\r\n")


@pytest.mark.parametrize("request_bytes", [
    CHUNKED,
    HEADERS.replace(b"200", b"5") + b"hello",
    b"GET /api/auth/health/ HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["chunked", "content-length", "no-body"])
def test_a_request_fed_byte_by_byte_completes_exactly_at_its_end(request_bytes: bytes) -> None:
    pipelined = b"GET / HTTP/1.1\r\n"
    buffer = RequestBuffer(0.0, body_limit=1024)
    for i, byte in enumerate(request_bytes + pipelined):
        assert buffer.complete == (i >= len(request_bytes)), i
        buffer.feed(bytes([byte]))
    assert buffer.complete
    assert buffer.surplus == pipelined
    assert b"".join(buffer) == request_bytes


@pytest.mark.parametrize("head", [
    b"Content-Length: 2000",  # over the limit: refused unread
    b"Content-Length: 5\r\nContent-Length: 6",
    b"Content-Length: -1",
    b"Transfer-Encoding: gzip",
    b"Transfer-Encoding: chunked\r\nContent-Length: 5",
])
def test_unclear_or_oversized_framing_goes_to_the_parser_at_once(head: bytes) -> None:
    buffer = RequestBuffer(0.0, body_limit=1024)
    buffer.feed(b"POST / HTTP/1.1\r\n" + head + b"\r\n\r\n")
    assert buffer.complete


def test_a_malformed_chunk_line_ends_the_wait() -> None:
    buffer = RequestBuffer(0.0, body_limit=1024)
    buffer.feed(CHUNKED.split(b"\r\n\r\n")[0] + b"\r\n\r\nzz\r\n")
    assert buffer.complete


def test_the_time_allowed_grows_with_the_body_received() -> None:
    buffer = RequestBuffer(100.0, body_limit=1 << 20)
    buffer.feed(HEADERS.replace(b"200", b"131072") + b"x" * 65536)
    assert buffer.deadline(10, 65536) == 111.0
