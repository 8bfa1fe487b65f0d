"""https through the pinned address: SNI and certificate checks keep the URL's hostname."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from synergy_webhooks.sender import Transport
from synergy_webhooks.ssrf import Target

HOST = "hooks.example.test"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}"],
                   check=True, capture_output=True)
    return folder


@pytest.fixture
def tls_server(certificate: Path) -> Iterator[tuple[int, list[str | None]]]:
    names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        def log_message(self, format: str, *args: Any) -> None:
            return

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], names
    server.shutdown()
    server.server_close()


def post(transport: Transport, hostname: str, port: int) -> Any:
    target = Target(scheme="https", hostname=hostname, port=port, address="127.0.0.1")
    return transport.send(target, f"https://{hostname}:{port}/hook", b"{}",
                          {"Content-Type": "application/json"}, 2.0, 2.0)


def test_pinned_https_keeps_sni_and_verifies_the_hostname(
        certificate: Path, tls_server: tuple[int, list[str | None]]) -> None:
    port, names = tls_server
    transport = Transport(pool_size=2, ca_bundle=str(certificate / "cert.pem"))
    try:
        result = post(transport, HOST, port)
        assert result.succeeded and result.response_body == "secure", result.error
        assert names == [HOST]
        wrong_name = post(transport, "other.example.test", port)
        assert wrong_name.status_code is None and "tls error" in wrong_name.error
        assert "other.example.test" in wrong_name.error
    finally:
        transport.close()


def test_untrusted_certificates_are_refused(tls_server: tuple[int, list[str | None]]) -> None:
    port, _ = tls_server
    transport = Transport(pool_size=1)
    try:
        result = post(transport, HOST, port)
        assert result.status_code is None and "certificate verify failed" in result.error
    finally:
        transport.close()
