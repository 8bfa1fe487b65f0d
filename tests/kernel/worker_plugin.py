"""A test plugin loaded through a real entry point by ``synergy worker`` subprocesses.

Its job records an event, so the test sees the job's effect in the database,
and the worker's own dispatch of that event proves follow-up jobs run too.
"""

from __future__ import annotations

from typing import Any

from synergy_hookspecs import hookimpl

from synergy import EventType, Job, Setting

PLUGIN_NAME = "kernel_probe"


def _mark(kernel: Any, token: str) -> None:
    with kernel.db.atomic():
        kernel.events.record("probe.job_ran", payload={"token": token,
                                                        "greeting": kernel.settings.
                                                        kernel_probe_greeting})


@hookimpl
def synergy_settings() -> list[Setting]:
    return [Setting("SYNERGY_KERNEL_PROBE_GREETING", default="hello",
                    help="Test-only plugin setting."),
            Setting("SYNERGY_KERNEL_PROBE_RETRIES", type="int", default=3,
                    help="Test-only typed plugin setting.")]


@hookimpl
def synergy_event_types() -> list[EventType]:
    return [EventType("probe.job_ran", "The probe job ran.", {"token": "abc"})]


@hookimpl
def synergy_jobs(kernel: Any) -> list[Job]:
    return [Job("mark", _mark, description="Record that the job ran.")]
