"""The topics family of errors: declarations, routing, tenant settings, admin calls."""

from __future__ import annotations

from pulse.errors import PulseError


class TopicsError(PulseError):
    """The root of every error raised by ``pulse.topics``."""

    code = "topics_error"


class DeclarationError(TopicsError):
    """``topics.toml`` is malformed; ``field`` says where (e.g. ``topic[2].partitions``)."""

    code = "bad_topic_declaration"


class RoutingError(TopicsError):
    """An event cannot be routed: unknown ``event_type`` or none of its key fields is set."""

    code = "unroutable_event"


class AdminError(TopicsError):
    """The cluster refused a planned change (create, add partitions, alter configs)."""

    code = "topic_admin_failed"


class TenantSettingsError(TopicsError):
    """A tenant's settings are invalid, e.g. an unknown IANA time zone."""

    code = "bad_tenant_settings"


class TenantDirectoryError(TopicsError):
    """The tenant directory cannot follow its topic: missing, unreadable, or not caught up in
    the allotted time."""

    code = "tenant_directory_error"


class PublishError(TopicsError):
    """Kafka did not acknowledge a record the topics package published."""

    code = "publish_failed"


class MissingTopicError(TopicsError):
    """A topic the command reads does not exist (``pulse topics apply`` creates it)."""

    code = "missing_topic"
