"""The dashboards family's errors: one root, :class:`DashboardError`, with structured fields."""

from __future__ import annotations

from pulse.errors import InvalidFieldError, PulseError


class DashboardError(PulseError):
    code = "dashboard_error"


class InvalidDashboardError(DashboardError, InvalidFieldError):
    """A dashboard, or a request about one, is invalid; ``field`` names what to fix."""

    code = "invalid_dashboard"


class DashboardDirectoryError(DashboardError):
    """The dashboard directory cannot follow its topic."""

    code = "dashboard_directory_failed"


class DashboardsTopicMissingError(DashboardDirectoryError):
    """``dashboards`` does not exist: the API serves no dashboards rather than not starting."""

    code = "dashboards_topic_missing"


class DashboardPublishError(DashboardError):
    """Kafka did not acknowledge a dashboard record."""

    code = "dashboard_publish_failed"


class EmbedRefusedError(DashboardError):
    """An embed token cannot be minted as asked; ``field`` names the argument to fix."""

    code = "embed_refused"

    def __init__(self, field: str, reason: str, suggestion: str) -> None:
        super().__init__(f"{field}: {reason}", field=field, suggestion=suggestion)
        self.field = field
        self.reason = reason
        self.suggestion = suggestion
