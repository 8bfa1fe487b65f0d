"""The plugin's settings and their typed, validated reading.

Declared through ``synergy_settings``; :func:`load` turns the raw values into a
:class:`WebhookConfig` once per kernel and refuses unusable values at start-up
with the name of the setting to fix.
"""

from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass
from typing import Any

from synergy import Setting
from synergy.errors import ConfigurationError

STANDARD_LADDER = ("5", "300", "1800", "7200", "18000", "36000", "50400", "72000", "86400")

SETTINGS = [
    Setting("SYNERGY_WEBHOOKS_ALLOWED_NETWORKS", type="list", default=[],
            help="Networks webhooks may reach although they are private, loopback, link-local "
                 "or reserved (comma list of CIDRs, e.g. 10.1.2.0/24). Empty: public only."),
    Setting("SYNERGY_WEBHOOKS_CONNECT_TIMEOUT", type="float", default=5.0, minimum=0.01,
            help="Seconds to wait for a receiver to accept the connection."),
    Setting("SYNERGY_WEBHOOKS_READ_TIMEOUT", type="float", default=15.0, minimum=0.01,
            help="Seconds a receiver may take to answer (also caps reading its body)."),
    Setting("SYNERGY_WEBHOOKS_RETRY_SCHEDULE", type="list", default=list(STANDARD_LADDER),
            help="Seconds to wait before each retry after a failed attempt (Standard Webhooks "
                 "ladder). Its length is the number of retries."),
    Setting("SYNERGY_WEBHOOKS_RETRY_JITTER", type="float", default=0.2, minimum=0,
            help="Random spread of each retry delay, as a fraction (0.2 = plus or minus 20%)."),
    Setting("SYNERGY_WEBHOOKS_DISABLE_AFTER_DAYS", type="float", default=5.0, minimum=0,
            help="A webhook failing continuously this long is disabled and its owner told "
                 "(0: never)."),
    Setting("SYNERGY_WEBHOOKS_SECRET_GRACE_HOURS", type="float", default=24.0, minimum=0,
            help="How long the previous secret keeps signing after rotate_secret."),
    Setting("SYNERGY_WEBHOOKS_CA_BUNDLE", default="",
            help="PEM file of certificate authorities trusted for https receivers (a private "
                 "CA). Empty: the certifi bundle. Certificates are always verified."),
    Setting("SYNERGY_WEBHOOKS_CONCURRENCY", type="int", default=100, minimum=1,
            help="Deliveries a worker process sends at the same time (its sending threads)."),
    Setting("SYNERGY_WEBHOOKS_BATCH_SIZE", type="int", default=200, minimum=1,
            help="Deliveries handed to one job; a large fan-out is split into several jobs."),
    Setting("SYNERGY_WEBHOOKS_SWEEP_GRACE_SECONDS", type="float", default=30.0, minimum=0,
            help="A due, unclaimed delivery untouched this long is re-enqueued by the sweep "
                 "(lost job). A claimed one whose lease expired is re-enqueued at once."),
]


@dataclass(frozen=True)
class WebhookConfig:
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    connect_timeout: float
    read_timeout: float
    retry_schedule: tuple[float, ...]
    retry_jitter: float
    disable_after_days: float
    secret_grace_hours: float
    ca_bundle: str
    concurrency: int
    batch_size: int
    sweep_grace_seconds: float


def _networks(entries: list[str]) -> tuple[Any, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ConfigurationError(f"SYNERGY_WEBHOOKS_ALLOWED_NETWORKS: {entry!r} is not a "
                                     "network; use CIDR notation such as 10.0.0.0/8") from None
    return tuple(networks)


def _ladder(entries: list[str]) -> tuple[float, ...]:
    try:
        steps = tuple(float(entry) for entry in entries)
    except ValueError:
        raise ConfigurationError("SYNERGY_WEBHOOKS_RETRY_SCHEDULE must list seconds, e.g. "
                                 + ",".join(STANDARD_LADDER)) from None
    if any(step < 0 for step in steps):
        raise ConfigurationError("SYNERGY_WEBHOOKS_RETRY_SCHEDULE: delays cannot be negative")
    return steps


def load(settings: Any) -> WebhookConfig:
    return WebhookConfig(
        allowed_networks=_networks(settings.webhooks_allowed_networks),
        connect_timeout=settings.webhooks_connect_timeout,
        read_timeout=settings.webhooks_read_timeout,
        retry_schedule=_ladder(settings.webhooks_retry_schedule),
        retry_jitter=settings.webhooks_retry_jitter,
        disable_after_days=settings.webhooks_disable_after_days,
        secret_grace_hours=settings.webhooks_secret_grace_hours,
        ca_bundle=settings.webhooks_ca_bundle,
        concurrency=settings.webhooks_concurrency,
        batch_size=settings.webhooks_batch_size,
        sweep_grace_seconds=settings.webhooks_sweep_grace_seconds,
    )


_CONFIGS: weakref.WeakKeyDictionary[Any, WebhookConfig] = weakref.WeakKeyDictionary()


def config_of(kernel: Any) -> WebhookConfig:
    """The parsed configuration of this kernel, computed once per kernel."""
    config = _CONFIGS.get(kernel)
    if config is None:
        config = _CONFIGS[kernel] = load(kernel.settings)
    return config
