"""SSRF: private and special addresses are refused unless allow-listed, also at send time."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from synergy_webhooks.ssrf import UnsafeURL, is_allowed, vet

from synergy.app import Kernel
from synergy.errors import ConfigurationError
from tests.conftest import Api, assert_error
from tests.webhooks.conftest import create_webhook, deliveries, make_project, task_event, user_id
from tests.webhooks.receivers import Receiver

REFUSED = [
    "http://127.0.0.1/", "http://127.1.2.3:8080/x", "http://10.0.0.5/", "http://172.16.3.4/",
    "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://0.0.0.0/", "http://100.64.0.1/", "http://[fd00::1]/", "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://localhost:9/", "http://[::]/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_special_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        vet(url, [])


def test_public_addresses_pass_and_the_address_is_pinned() -> None:
    target = vet("https://93.184.215.14:8443/hook", [])
    assert (target.scheme, target.hostname, target.port, target.address) == (
        "https", "93.184.215.14", 8443, "93.184.215.14")
    assert is_allowed(ipaddress.ip_address("2606:4700::1111"), [])


def test_allow_list_admits_only_its_networks() -> None:
    allowed = [ipaddress.ip_network("10.1.0.0/16")]
    assert vet("http://10.1.2.3/", allowed).address == "10.1.2.3"
    assert vet("http://[::ffff:10.1.2.3]/", allowed).address == "::ffff:10.1.2.3"
    with pytest.raises(UnsafeURL):
        vet("http://10.2.0.1/", allowed)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "http:///nohost",
                                 "http://[::1/", "http://x:99999/", "http://no-such-host.invalid/"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL):
        vet(url, [])


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://10.0.0.1/",
                                 "http://169.254.169.254/", "http://[::1]/",
                                 "http://localhost/"])
def test_api_refuses_private_urls_without_the_allow_list(
        make_hooks_app: Callable[..., Kernel], url: str) -> None:
    kernel = make_hooks_app(SYNERGY_WEBHOOKS_ALLOWED_NETWORKS="")
    ada = Api(kernel).as_new_user("ada")
    error = assert_error(ada.post("/api/webhooks/", {"name": "x", "url": url,
                                                     "events": ["*"]}), 400, "unsafe_url", "url")
    assert "SYNERGY_WEBHOOKS_ALLOWED_NETWORKS" in error["fields"]["url"][0]


def test_api_accepts_loopback_with_the_allow_list(api: Api, receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    assert create_webhook(ada, receiver.url)["url"] == receiver.url


def test_the_address_is_checked_again_at_delivery_time(
        make_hooks_app: Callable[..., Kernel], receiver: Receiver) -> None:
    """An allow-list narrowed after creation (like DNS changing) stops the delivery."""
    open_kernel = make_hooks_app()
    ada = Api(open_kernel).as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    strict = make_hooks_app(SYNERGY_WEBHOOKS_ALLOWED_NETWORKS="10.0.0.0/8")
    task_event(strict, make_project(strict, user_id(ada)))
    [delivery] = deliveries(strict, hook["id"])
    assert delivery.status == "retrying" and delivery.last_status_code is None
    assert delivery.last_error.startswith("not sent:") and "127.0.0.1" in delivery.last_error
    assert receiver.requests == []


def test_bad_allow_list_refuses_to_start(make_hooks_app: Callable[..., Kernel]) -> None:
    with pytest.raises(ConfigurationError, match="ALLOWED_NETWORKS"):
        make_hooks_app(SYNERGY_WEBHOOKS_ALLOWED_NETWORKS="not-a-network")
