"""``synergy serve``'s job worker: started from the installed command, and kept running.

Why: serve used to start ``python -m synergy worker``, which imports whatever ``synergy`` folder
sits in the current directory before the installed package (a clone, say). That worker crashed
on import while serve logged that it had started, and nothing restarted it. Now the worker is
started through the installed ``synergy`` console script (whose ``sys.path`` starts with its own
folder, not the current one), or failing that ``python -P -m synergy``, which does not put the
current directory on the path either. A thread in the serve process waits for it and restarts it
whenever it exits, after a back-off that doubles from :data:`FIRST_DELAY` up to
:data:`MAX_DELAY` seconds (reset once a worker has run for :data:`STEADY_AFTER` seconds); it
never gives up, and logs every exit with its status. Whether jobs really run is what the
worker's heartbeat tells the health check (:mod:`synergy.worker_heartbeat`), not this.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("synergy.serve")

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
STEADY_AFTER = 60.0


def worker_command() -> list[str]:
    """``synergy worker`` as installed beside this interpreter, never from the current folder."""
    script = Path(sys.executable).with_name("synergy")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "worker"]
    return [sys.executable, "-P", "-m", "synergy", "worker"]


def describe_exit(code: int | None) -> str:
    if code is None:
        return "an unknown status"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


class WorkerSupervisor:
    """Runs ``command`` in a child process and restarts it whenever it exits, until stopped."""

    def __init__(self, command: list[str], first_delay: float = FIRST_DELAY,
                 max_delay: float = MAX_DELAY, steady_after: float = STEADY_AFTER) -> None:
        self.command = command
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.steady_after = steady_after
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15) -> None:
        """Stop restarting, then end the worker: SIGTERM, SIGKILL after ``timeout`` seconds."""
        with self._lock:
            self.stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        delay = self.first_delay
        while True:
            with self._lock:
                if self.stopping.is_set():
                    return
                started = time.monotonic()
                process = self.process = subprocess.Popen(self.command)
            log.info("started job worker (pid %s): %s", process.pid, " ".join(self.command))
            code = self._wait(process)
            if self.stopping.is_set():
                return
            ran = time.monotonic() - started
            if ran >= self.steady_after:
                delay = self.first_delay
            log.error("job worker (pid %s) exited with %s after %.1f s; restarting in %.1f s",
                      process.pid, describe_exit(code), ran, delay)
            if self.stopping.wait(delay):
                return
            delay = min(delay * 2, self.max_delay)

    @staticmethod
    def _wait(process: subprocess.Popen[bytes]) -> int | None:
        """The worker's exit code, or None when someone else reaped it first.

        gunicorn's arbiter, in the same process, reaps *every* exited child when SIGCHLD
        arrives; waiting without reaping (``WNOWAIT``) reads the status before it can.
        """
        code: int | None = None
        try:
            result = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
            if result is not None:
                code = (result.si_status if result.si_code == os.CLD_EXITED
                        else -result.si_status)
        except ChildProcessError:
            pass
        process.wait()
        return code
