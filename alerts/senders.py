"""One attempt at one destination: an HTTP POST (webhook, chat) or an SMTP send (e-mail).

Each returns an :class:`Attempt` and never raises for the receiver's failures: a status code,
a timeout or a refused connection is an outcome the deliverer decides on, not an exception.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx

from pulse.alerts import messages
from pulse.alerts.destinations import Destination
from pulse.alerts.errors import UnsafeUrlError
from pulse.alerts.notifications import Notification
from pulse.alerts.pinning import PinnedTransport
from pulse.alerts.url_safety import UrlPolicy, url_host_port
from pulse.settings import AlertSettings


@dataclass(frozen=True)
class Attempt:
    status: int = 0  # the HTTP status (an SMTP send that succeeded: 250); 0: no answer
    error: str = ""
    retry_after: str | None = None
    duration_ms: int = 0
    refused: bool = False  # the URL is unsafe now: no request was made

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Senders:
    def __init__(self, settings: AlertSettings, client: httpx.AsyncClient):
        """``client`` comes from :func:`http_client`: its connections are the URL policy's."""
        self._settings = settings
        self._client = client

    async def send(self, notification: Notification, destination: Destination) -> Attempt:
        if destination.kind == "email":
            return await asyncio.to_thread(self._send_email, notification, destination)
        if destination.kind == "chat":
            body = messages.chat_body(notification, self._settings.chat_link_base)
        else:
            body = messages.webhook_body(notification)
        return await self._post(notification, destination, body)

    async def _post(
        self, notification: Notification, destination: Destination, body: str
    ) -> Attempt:
        started = time.monotonic()
        headers = messages.signed_headers(
            notification.notification_id, body, destination.secrets, datetime.now(UTC)
        )
        try:
            # A record read from the topic may hold any scheme: refused, not retried.
            url_host_port(destination.url)
            # The pinned transport resolves the host, checks and connects (pinning.py).
            response = await self._client.post(destination.url, content=body, headers=headers)
        except UnsafeUrlError as exc:
            return Attempt(error=exc.message, refused=True, duration_ms=_ms(started))
        except httpx.HTTPError as exc:
            return Attempt(error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=_ms(started))
        return Attempt(
            status=response.status_code,
            error="" if response.is_success else response.text[:500],
            retry_after=response.headers.get("retry-after"),
            duration_ms=_ms(started),
        )

    def _send_email(self, notification: Notification, destination: Destination) -> Attempt:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = ", ".join(destination.addresses)
        message["Subject"] = messages.email_subject(notification, s.chat_link_base)
        # One episode, one Message-ID: a mail client collapses a re-sent copy.
        message["Message-ID"] = f"<{notification.notification_id}@pulse-alerts>"
        message.set_content(messages.email_text(notification, s.chat_link_base))
        started = time.monotonic()
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.request_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt(error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=_ms(started))
        return Attempt(status=250, duration_ms=_ms(started))


def http_client(
    settings: AlertSettings, policy: UrlPolicy, ssl_context: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """A client whose every connection goes to an address ``policy`` checked."""
    timeout = httpx.Timeout(
        settings.request_timeout_seconds, connect=settings.connect_timeout_seconds
    )
    # Redirects are not followed: the transport would check their address too, but a webhook
    # that moves is the destination's owner's to update.
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        transport=PinnedTransport(policy, ssl_context),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
