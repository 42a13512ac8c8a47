"""The dedup table's changelog topic, created before the worker joins its group.

Faust declares a table's changelog topic as it starts, moments before its consumer joins the
group. On a fresh deployment (or a broker busy creating topics) the group leader can compute the
assignment from metadata that does not show the new topic yet ("Ignoring missing topic"), and the
worker's first changelog write then fails with a KeyError in the assignor's topic groups (seen in
the parallel test suite). Creating the topic first and waiting until the cluster serves it closes
that window; Faust's own declaration then finds it in place.
"""

from __future__ import annotations

from pulse.settings import Settings
from pulse.topics.admin import admin_client, apply, read_live
from pulse.topics.planner import CreateTopic, DesiredTopic, Plan

SEEN_TABLE = "seen"


def changelog_name(settings: Settings) -> str:
    """The name Faust gives the ``seen`` table's changelog: ``<app id>-seen-changelog``."""
    return f"{settings.stream.app_id}-{SEEN_TABLE}-changelog"


def ensure_changelog(settings: Settings) -> bool:
    """Creates the changelog topic as Faust would (compacted, one partition per source
    partition) unless it exists, and waits until it is served; True when it was created."""
    admin = admin_client(settings.kafka.bootstrap_servers)
    name = changelog_name(settings)
    if name in read_live(admin, [name]):
        return False
    topic = DesiredTopic(
        name=name,
        partitions=settings.kafka.partitions,
        replication=settings.kafka.replication_factor,
        config={"cleanup.policy": "compact"},
    )
    apply(admin, Plan(actions=(CreateTopic(topic),)))
    return True
