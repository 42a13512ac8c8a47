"""The alerts family's errors: one root, :class:`AlertError`, with structured fields."""

from __future__ import annotations

from pulse.errors import InvalidFieldError, PulseError


class AlertError(PulseError):
    code = "alert_error"


class DestinationError(AlertError):
    """A destination record or request is malformed."""

    code = "invalid_destination"


class UnknownDestinationError(AlertError):
    code = "unknown_destination"


class UnsafeUrlError(AlertError):
    """A URL resolves to a loopback, private or link-local address no setting allows."""

    code = "unsafe_url"


class NotificationError(AlertError):
    """A notification record is malformed."""

    code = "invalid_notification"


class AlertPublishError(AlertError):
    """Kafka did not acknowledge a destination, notification or delivery row."""

    code = "alert_publish_failed"


class DirectoryError(AlertError):
    """The destination directory cannot follow its topic."""

    code = "destination_directory"


class RuleError(AlertError, InvalidFieldError):
    """An alert rule, or a request about one, is invalid; ``field`` names what to fix."""

    code = "invalid_rule"


class RuleDirectoryError(AlertError):
    """The rule directory cannot follow its topic."""

    code = "rule_directory"


class RulesTopicMissingError(RuleDirectoryError):
    """``alerts.rules`` does not exist: ``pulse topics apply`` has not run since it was added."""

    code = "rules_topic_missing"
