"""The root error of privacy and retention work, and the refusal of a malformed request."""

from __future__ import annotations

from pulse.errors import PulseError


class PrivacyError(PulseError):
    """An export, an erasure or a retention run could not be done, or did not finish."""

    code = "privacy_error"


class BadPrivacyRequestError(PrivacyError):
    """The request itself is wrong (an empty tenant, no subject, a bad window); nothing was done."""

    code = "bad_privacy_request"
