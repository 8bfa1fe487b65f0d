"""One HTTP attempt to a receiver, with no database access (it runs in a thread pool).

The connection goes to the address :mod:`ssrf` vetted, while the Host header,
TLS SNI and certificate check keep the URL's hostname. Redirects are not
followed (3xx is a failure), proxies from the environment are ignored, the
response body is read up to 64 KiB within the read timeout and stored
truncated to 4 KiB.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from synergy_webhooks.ssrf import Target

READ_LIMIT = 64 * 1024
STORED_LIMIT = 4 * 1024
_CHUNK = 8192


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str
    duration_ms: int
    response_body: str
    retry_after: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class PinnedAddressAdapter(HTTPAdapter):
    """Connect to one vetted IP address, whatever DNS answers by now."""

    def __init__(self, target: Target, pool_size: int) -> None:
        self.target = target
        super().__init__(pool_connections=1, pool_maxsize=pool_size, max_retries=0)

    def build_connection_pool_key_attributes(
        self, request: Any, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        host_params["host"] = self.target.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.target.hostname
            pool_kwargs["assert_hostname"] = self.target.hostname
        return host_params, pool_kwargs


def _host_header(target: Target) -> str:
    host = f"[{target.hostname}]" if ":" in target.hostname else target.hostname
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _read_capped(response: requests.Response, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size >= READ_LIMIT or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:READ_LIMIT]


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timeout: the receiver did not accept the connection in time"
    if isinstance(exc, (requests.exceptions.ReadTimeout, TimeoutError)):
        return "timeout: the receiver did not answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"tls error: {exc}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"connection error: {exc}"
    return f"{type(exc).__name__}: {exc}"


class Transport:
    """Pinned-address connection pools shared by the sending threads of one process.

    One adapter per vetted target, so consecutive deliveries to a receiver
    reuse its keep-alive connections; the least recently used adapters are
    closed beyond ``max_targets``. No session is involved: nothing from the
    environment (proxies, netrc) can change where a request goes.
    """

    def __init__(self, pool_size: int, ca_bundle: str = "", max_targets: int = 256) -> None:
        self.pool_size = pool_size
        self.verify: bool | str = ca_bundle or True
        self.max_targets = max_targets
        self._adapters: OrderedDict[Target, PinnedAddressAdapter] = OrderedDict()
        self._lock = threading.Lock()

    def _adapter(self, target: Target) -> PinnedAddressAdapter:
        with self._lock:
            adapter = self._adapters.get(target)
            if adapter is None:
                adapter = self._adapters[target] = PinnedAddressAdapter(target, self.pool_size)
                if len(self._adapters) > self.max_targets:
                    self._adapters.popitem(last=False)[1].close()
            else:
                self._adapters.move_to_end(target)
            return adapter

    def send(self, target: Target, url: str, body: bytes, headers: Mapping[str, str],
             connect_timeout: float, read_timeout: float) -> AttemptResult:
        """POST ``body`` once; network trouble is reported in the result, never raised."""
        started = time.monotonic()
        try:
            prepared = requests.Request("POST", url, data=body, headers={
                **headers, "Host": _host_header(target)}).prepare()
            response = self._adapter(target).send(prepared, stream=True, verify=self.verify,
                                                  proxies={},
                                                  timeout=(connect_timeout, read_timeout))
            with response:
                raw = _read_capped(response, started + connect_timeout + read_timeout)
        except Exception as exc:
            return AttemptResult(None, _describe(exc)[:1000], _elapsed_ms(started), "", None)
        status = response.status_code
        error = "" if 200 <= status < 300 else f"HTTP {status}"
        if 300 <= status < 400:
            location = response.headers.get("Location", "-")[:200]
            error = f"HTTP {status}: redirects are not followed (Location: {location})"
        return AttemptResult(status, error, _elapsed_ms(started),
                             raw.decode("utf-8", errors="replace")[:STORED_LIMIT],
                             response.headers.get("Retry-After"))

    def close(self) -> None:
        with self._lock:
            for adapter in self._adapters.values():
                adapter.close()
            self._adapters.clear()


def _elapsed_ms(started: float) -> int:
    return int(round((time.monotonic() - started) * 1000))
