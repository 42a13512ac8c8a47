"""One notification to one destination against a verifying receiver: retries, 429, 410, dead
letters, refused URLs, e-mail over SMTP, and the attempts counted in the metrics."""

from __future__ import annotations

import asyncio
import email
import json
import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from prometheus_client import REGISTRY

from pulse.alerts.delivery import Deliverer, FinalOutcome
from pulse.alerts.destinations import Destination, new_destination
from pulse.alerts.notifications import Notification
from pulse.alerts.senders import Senders, http_client
from pulse.alerts.url_safety import Resolver, UrlPolicy, system_resolver
from pulse.settings import AlertSettings
from tests.alerts.certificates import ThrowawayAuthority
from tests.alerts.conftest import notification
from tests.alerts.receiver import Receiver, running_receiver
from tests.e2e.harness import free_port

FAST = AlertSettings(
    allow_loopback=True, base_backoff_seconds=0.1, max_backoff_seconds=2.0, max_attempts=4
)


@dataclass
class Recorded:
    rows: list[dict[str, Any]] = field(default_factory=list)
    disabled: list[tuple[str, str]] = field(default_factory=list)
    letters: list[tuple[str, str, str]] = field(default_factory=list)

    def record(self, row: dict[str, Any]) -> None:
        self.rows.append(row)

    async def disable(self, destination: Destination, reason: str) -> None:
        self.disabled.append((destination.destination_id, reason))

    async def dead_letter(self, n: Notification, destination_id: str, reason: str) -> None:
        self.letters.append((n.notification_id, destination_id, reason))


def deliver(
    destination: Destination,
    n: Notification,
    config: AlertSettings = FAST,
    resolver: Resolver = system_resolver,
    tls: ssl.SSLContext | None = None,
) -> tuple[FinalOutcome, Recorded]:
    recorded = Recorded()

    async def go() -> FinalOutcome:
        policy = UrlPolicy.from_settings(config, resolver)
        async with http_client(config, policy, tls) as client:
            senders = Senders(config, client)
            lookup = {destination.destination_id: destination}.get
            return await Deliverer(config, senders, lookup, recorded).deliver(
                n, destination.destination_id
            )

    return asyncio.run(go()), recorded


def webhook(
    receiver: Receiver, path: str, *answers: int | tuple[int, dict[str, str]]
) -> Destination:
    destination = new_destination("acme", "webhook", url=receiver.on(path, *answers))
    receiver.secrets[path] = destination.secrets
    return destination


def counted(kind: str, outcome: str) -> float:
    labels = {"kind": kind, "outcome": outcome}
    return REGISTRY.get_sample_value("pulse_alert_deliveries_total", labels) or 0.0


def test_two_failures_then_delivered_with_one_id_every_attempt_signed(receiver: Receiver) -> None:
    """500, timeout-like 503, then 200: three attempts, one webhook-id, each signature valid."""
    before = counted("webhook", "retry")
    destination = webhook(receiver, "/flaky", 500, 503)
    n = notification(destination.destination_id)
    outcome, recorded = deliver(destination, n)
    assert outcome == "delivered"
    requests = receiver.at("/flaky")
    assert len(requests) == 3
    assert {r.headers["webhook-id"] for r in requests} == {n.notification_id}
    assert all(r.verified_with == (0,) for r in requests)
    assert [r["outcome"] for r in recorded.rows] == ["retry", "retry", "delivered"]
    assert [r["status_code"] for r in recorded.rows] == [500, 503, 200]
    assert counted("webhook", "retry") == before + 2


def test_a_429_waits_its_retry_after(receiver: Receiver) -> None:
    """A 429 with Retry-After: 1 delays the next attempt by at least a second."""
    destination = webhook(receiver, "/busy", (429, {"Retry-After": "1"}))
    outcome, recorded = deliver(destination, notification(destination.destination_id))
    assert outcome == "delivered"
    first, second = receiver.at("/busy")
    assert second.at - first.at >= 1.0
    assert [r["outcome"] for r in recorded.rows] == ["rate_limited", "delivered"]


def test_a_410_disables_the_destination_and_stops(receiver: Receiver) -> None:
    """A 410 is final: one attempt, the destination disabled with the reason, no dead letter."""
    destination = webhook(receiver, "/gone", 410)
    outcome, recorded = deliver(destination, notification(destination.destination_id))
    assert outcome == "disabled"
    assert len(receiver.at("/gone")) == 1
    assert recorded.disabled[0][0] == destination.destination_id
    assert "410" in recorded.disabled[0][1] and not recorded.letters


def test_exhausted_attempts_become_a_dead_letter(receiver: Receiver) -> None:
    """max_attempts failures, then the notification is dead-lettered for that destination."""
    destination = webhook(receiver, "/down", *([500] * 10))
    n = notification(destination.destination_id)
    outcome, recorded = deliver(destination, n)
    assert outcome == "dead_lettered"
    assert len(receiver.at("/down")) == FAST.max_attempts
    assert [letter[:2] for letter in recorded.letters] == [
        (n.notification_id, destination.destination_id)
    ]
    assert recorded.rows[-1]["outcome"] == "dead_lettered"


def test_a_loopback_url_is_refused_at_send_time_without_the_setting(receiver: Receiver) -> None:
    """With loopback not allowed no request leaves; the delivery is dead-lettered as refused."""
    destination = webhook(receiver, "/never")
    strict = replace(FAST, allow_loopback=False)
    outcome, recorded = deliver(destination, notification(destination.destination_id), strict)
    assert outcome == "dead_lettered" and receiver.at("/never") == []
    assert recorded.rows[0]["outcome"] == "refused" and "127.0.0.1" in recorded.rows[0]["error"]


def test_a_rotated_destination_sends_two_signatures_each_verifying(receiver: Receiver) -> None:
    """During a rotation the receiver can verify with the old or the new secret."""
    destination = webhook(receiver, "/rotating")
    rotated = destination.rotated(new_destination("acme", "webhook", url="http://x/").secrets[0])
    receiver.secrets["/rotating"] = rotated.secrets
    outcome, _ = deliver(rotated, notification(rotated.destination_id))
    assert outcome == "delivered"
    (request,) = receiver.at("/rotating")
    assert request.verified_with == (0, 1)


def test_another_tenants_destination_is_skipped(receiver: Receiver) -> None:
    """A notification of acme never reaches a destination of globex, even by its id."""
    destination = replace(webhook(receiver, "/globex"), tenant_id="globex")
    outcome, recorded = deliver(destination, notification(destination.destination_id))
    assert outcome == "skipped" and receiver.at("/globex") == []
    assert recorded.rows[0]["outcome"] == "skipped"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def test_an_email_reaches_the_smtp_server_with_the_facts() -> None:
    """The e-mail goes through SMTP to every address, with metric, value, threshold and link."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = replace(FAST, smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@p.example")
        destination = new_destination(
            "acme", "email", addresses=("a@acme.example", "b@acme.example")
        )
        n = notification(destination.destination_id)
        outcome, recorded = deliver(destination, n, config)
    finally:
        controller.stop()
    assert outcome == "delivered" and recorded.rows[0]["status_code"] == 250
    (message,) = inbox.messages
    assert message["To"] == "a@acme.example, b@acme.example"
    assert "SLA breaches" in message["Subject"]
    assert message["Message-ID"] == f"<{n.notification_id}@pulse-alerts>"
    text = message.get_payload()
    assert isinstance(text, str)
    assert "sla_breached = 7" in text and "threshold 5" in text and "/acme/r1" in text


def test_a_chat_destination_gets_a_displayable_text(receiver: Receiver) -> None:
    """A chat webhook receives {"text": …} with the facts and a link, signed like webhooks."""
    destination = new_destination("acme", "chat", url=receiver.on("/chat"))
    receiver.secrets["/chat"] = destination.secrets
    outcome, _ = deliver(destination, notification(destination.destination_id))
    assert outcome == "delivered"
    (request,) = receiver.at("/chat")
    text = json.loads(request.body)["text"]
    assert "sla_breached = 7" in text and "channel=email" in text
    assert request.verified_with == (0,)


class Names:
    """A resolver under the test's control: each name answers its scripted addresses in turn
    (the last one again once the script runs out), and every lookup is counted."""

    def __init__(self, **answers: list[list[str]]) -> None:
        self.answers = {name.replace("_", "."): list(a) for name, a in answers.items()}
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def named(destination: Destination, name: str) -> Destination:
    """The destination with its URL's host (127.0.0.1) replaced by ``name``."""
    return replace(destination, url=destination.url.replace("127.0.0.1", name))


def test_a_name_resolving_to_a_private_address_is_refused_without_a_request(
    receiver: Receiver,
) -> None:
    """hooks.acme.test → 10.0.0.7 with only public addresses allowed: refused, logged, final."""
    names = Names(hooks_acme_test=[["10.0.0.7"]])
    destination = named(webhook(receiver, "/private"), "hooks.acme.test")
    strict = replace(FAST, allow_loopback=False)
    outcome, recorded = deliver(
        destination, notification(destination.destination_id), strict, names
    )
    assert outcome == "dead_lettered" and receiver.at("/private") == []
    (row,) = recorded.rows
    assert row["outcome"] == "refused" and row["attempt"] == 1
    assert "hooks.acme.test resolves to 10.0.0.7" in row["error"]
    assert recorded.letters and "10.0.0.7" in recorded.letters[0][2]


def test_localhost_is_refused_when_loopback_is_not_allowed(receiver: Receiver) -> None:
    """The system resolver's answer for localhost is a loopback address: refused, not sent."""
    destination = named(webhook(receiver, "/localhost"), "localhost")
    strict = replace(FAST, allow_loopback=False)
    outcome, recorded = deliver(destination, notification(destination.destination_id), strict)
    assert outcome == "dead_lettered" and receiver.at("/localhost") == []
    assert recorded.rows[0]["outcome"] == "refused"


def test_one_refused_address_among_several_refuses_the_name(receiver: Receiver) -> None:
    """A name answering a loopback and a private address is refused, whichever comes first."""
    names = Names(hooks_acme_test=[["127.0.0.1", "192.168.1.9"]])
    destination = named(webhook(receiver, "/mixed"), "hooks.acme.test")
    outcome, recorded = deliver(destination, notification(destination.destination_id), FAST, names)
    assert outcome == "dead_lettered" and receiver.at("/mixed") == []
    assert "192.168.1.9" in recorded.rows[0]["error"]


def test_a_pinned_delivery_connects_to_the_checked_address_under_its_name(
    receiver: Receiver,
) -> None:
    """A name known only to the resolver reaches the receiver at the address checked, with the
    name in the Host header, after exactly one lookup: the connection asked no one else."""
    names = Names(hooks_acme_test=[["127.0.0.1"]])
    destination = named(webhook(receiver, "/pinned"), "hooks.acme.test")
    outcome, recorded = deliver(destination, notification(destination.destination_id), FAST, names)
    assert outcome == "delivered" and recorded.rows[0]["status_code"] == 200
    (request,) = receiver.at("/pinned")
    assert request.headers["host"] == destination.url.split("/")[2]
    assert request.verified_with == (0,)
    assert names.lookups == ["hooks.acme.test"]


def test_a_name_rebound_between_attempts_is_refused_at_the_next_connection(
    receiver: Receiver,
) -> None:
    """Public-looking first (allowed loopback), private on the retry's new connection: the
    first attempt reaches the receiver, the second is refused before any request."""
    names = Names(hooks_acme_test=[["127.0.0.1"], ["10.9.9.9"]])
    destination = named(
        webhook(receiver, "/rebound", (500, {"connection": "close"})), "hooks.acme.test"
    )
    outcome, recorded = deliver(destination, notification(destination.destination_id), FAST, names)
    assert outcome == "dead_lettered" and len(receiver.at("/rebound")) == 1
    assert [r["outcome"] for r in recorded.rows] == ["retry", "refused"]
    assert "10.9.9.9" in recorded.rows[1]["error"]


def test_https_to_a_pinned_address_verifies_the_names_certificate(tmp_path: Path) -> None:
    """Over HTTPS the pinned connection sends the name as SNI and accepts a certificate for the
    name; a certificate for another name fails the attempt (retried, then dead-lettered)."""
    authority = ThrowawayAuthority(tmp_path)
    names = Names(hooks_acme_test=[["127.0.0.1"]])
    with running_receiver(authority.server_context("hooks.acme.test")) as tls_receiver:
        destination = named(webhook(tls_receiver, "/tls"), "hooks.acme.test")
        tls = authority.client_context()
        outcome, _ = deliver(
            destination, notification(destination.destination_id), FAST, names, tls
        )
        assert outcome == "delivered" and len(tls_receiver.at("/tls")) == 1
    assert authority.server_names == ["hooks.acme.test"]
    with running_receiver(authority.server_context("other.acme.test")) as wrong_name:
        destination = named(webhook(wrong_name, "/wrong"), "hooks.acme.test")
        outcome, recorded = deliver(
            destination, notification(destination.destination_id), FAST, names, tls
        )
    assert outcome == "dead_lettered" and wrong_name.at("/wrong") == []
    assert "CERTIFICATE_VERIFY_FAILED" in recorded.rows[0]["error"]
