"""A data subject: one visitor (web events' ``visitor_id``) or one contact (``contact_id``) of a
tenant, and how the audit log names it without keeping it.

The audit log (``privacy_requests``) must outlive an erasure, so it must not itself hold the id
that was erased: a visitor or contact id is personal data (pseudonymous, GDPR recital 26). It
keeps an HMAC-SHA256 of ``tenant, kind, id`` under ``PULSE_PRIVACY_AUDIT_KEY``: whoever holds the
key can answer "was this person's data exported or erased, when, at whose request?" by hashing
the id again, while a reader of the table alone cannot recover it or confirm a guess (a plain
hash of a phone number or a short id would fall to enumeration).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from pulse.privacy.errors import BadPrivacyRequestError

Kind = Literal["visitor", "contact"]
KINDS: tuple[Kind, ...] = ("visitor", "contact")

# The events_raw column that names a subject of each kind.
COLUMN: dict[Kind, str] = {"visitor": "visitor_id", "contact": "contact_id"}


@dataclass(frozen=True)
class Subject:
    """Whose events: ``subject_id`` of ``kind`` within ``tenant_id``."""

    tenant_id: str
    kind: Kind
    subject_id: str

    def check(self) -> None:
        if not self.tenant_id:
            raise BadPrivacyRequestError("--tenant must not be empty", option="--tenant")
        if self.kind not in KINDS:
            raise BadPrivacyRequestError(f"unknown subject kind {self.kind!r}", kind=self.kind)
        if not self.subject_id:
            raise BadPrivacyRequestError(f"the {self.kind} id must not be empty", kind=self.kind)

    @property
    def where(self) -> str:
        """The rows of this subject in ``events_raw``: fixed text, values are parameters."""
        return f"tenant_id = {{tenant_id:String}} AND {COLUMN[self.kind]} = {{subject_id:String}}"

    @property
    def params(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "subject_id": self.subject_id}

    def audit_hash(self, key: str) -> str:
        """HMAC-SHA256 (hex) of the subject under ``key``: what the audit log keeps."""
        message = "\x1f".join((self.tenant_id, self.kind, self.subject_id)).encode()
        return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()

    def to_json(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "kind": self.kind, "subject_id": self.subject_id}

    @classmethod
    def from_json(cls, body: object) -> Subject:
        """The subject a client sent; :class:`BadPrivacyRequestError` for any other shape."""
        if not isinstance(body, dict):
            raise BadPrivacyRequestError("expected {tenant_id, kind, subject_id}")
        values = [body.get("tenant_id"), body.get("kind"), body.get("subject_id")]
        if not all(isinstance(v, str) for v in values) or values[1] not in KINDS:
            raise BadPrivacyRequestError(
                "expected {tenant_id: str, kind: 'visitor'|'contact', subject_id: str}"
            )
        subject = cls(
            str(values[0]), "visitor" if values[1] == "visitor" else "contact", str(values[2])
        )
        subject.check()
        return subject
