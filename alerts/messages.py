"""What each kind of destination receives for a notification: pure functions, no I/O.

- webhook: the Standard Webhooks body ``{type, timestamp, data}`` and its three headers, signed
  with every secret of the destination (two during a rotation, so either verifies);
- chat: ``{"text": …}``, which Slack-compatible incoming webhooks display as is;
- e-mail: a subject and a plain-text body with the same facts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from pulse.alerts.notifications import Notification

Headers = dict[str, str]


def iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def webhook_body(notification: Notification) -> str:
    data = {
        "notification_id": notification.notification_id,
        "tenant_id": notification.tenant_id,
        "rule_id": notification.rule_id,
        "episode_start": iso(notification.episode_start),
        "occurred_at": iso(notification.occurred_at),
        **notification.payload,
    }
    body = {"type": notification.kind, "timestamp": iso(notification.occurred_at), "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def signed_headers(message_id: str, body: str, secrets: tuple[str, ...], now: datetime) -> Headers:
    """The Standard Webhooks headers; the timestamp is the attempt's, the id the episode's."""
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
    }
    if secrets:
        headers["webhook-signature"] = " ".join(
            Webhook(secret).sign(message_id, now, body) for secret in secrets
        )
    return headers


def link(notification: Notification, link_base: str) -> str:
    given = notification.payload.get("link")
    if isinstance(given, str) and given:
        return given
    return f"{link_base.rstrip('/')}/{notification.tenant_id}/{notification.rule_id}"


def summary_lines(notification: Notification, link_base: str) -> list[str]:
    """The facts a person needs, one per line: what, the value against the threshold, where."""
    p = notification.payload
    state = "triggered" if notification.kind.endswith("triggered") else "resolved"
    name = p.get("rule_name") or notification.rule_id
    lines = [f"Alert {state}: {name}"]
    lines.append(
        f"{p.get('metric', '?')} = {_fmt(p.get('value'))} "
        f"(threshold {_fmt(p.get('threshold'))}, window {p.get('window', '?')})"
    )
    filters = p.get("filter")
    if isinstance(filters, dict) and filters:
        lines.append("filter: " + ", ".join(f"{k}={v}" for k, v in sorted(filters.items())))
    lines.append(f"at {iso(notification.occurred_at)}")
    lines.append(link(notification, link_base))
    return lines


def chat_body(notification: Notification, link_base: str) -> str:
    return json.dumps({"text": "\n".join(summary_lines(notification, link_base))})


def email_subject(notification: Notification, link_base: str) -> str:
    return "[pulse] " + summary_lines(notification, link_base)[0]


def email_text(notification: Notification, link_base: str) -> str:
    return "\n".join(summary_lines(notification, link_base)) + "\n"


def _fmt(value: Any) -> str:
    return "?" if value is None else str(value)
