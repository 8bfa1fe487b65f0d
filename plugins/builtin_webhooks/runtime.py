"""Per-process sending machinery of one kernel: a thread pool and the connection pools.

Created on first use in the process that sends (a worker), kept for the life
of the kernel so threads and keep-alive connections are reused across jobs,
and closed by ``synergy_shutdown``.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from synergy_webhooks.config import config_of
from synergy_webhooks.sender import Transport


@dataclass
class Runtime:
    pool: ThreadPoolExecutor
    transport: Transport

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.transport.close()


_RUNTIMES: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def runtime_of(kernel: Any) -> Runtime:
    with _LOCK:
        runtime = _RUNTIMES.get(kernel)
        if runtime is None:
            config = config_of(kernel)
            runtime = _RUNTIMES[kernel] = Runtime(
                ThreadPoolExecutor(max_workers=config.concurrency,
                                   thread_name_prefix="webhook-send"),
                Transport(pool_size=config.concurrency, ca_bundle=config.ca_bundle))
        return runtime


def close_runtime(kernel: Any) -> None:
    with _LOCK:
        runtime = _RUNTIMES.pop(kernel, None)
    if runtime is not None:
        runtime.close()
