"""topics.toml is parsed into typed specs, and every malformed declaration is refused by name."""

from __future__ import annotations

import pytest

from pulse.avro.schemas import SCHEMA_DIR
from pulse.topics.declarations import default_declarations, parse
from pulse.topics.errors import DeclarationError, TopicsError

MINIMAL = """
[[topic]]
name = "events.a"
key_fields = ["a_id"]
event_types = ["a.happened"]
"""


def test_packaged_declarations_hold_the_architecture_topics() -> None:
    """The packaged file declares the four domain topics, tenants, keys, rows, the alerts' topics,
    dashboards and the twins."""
    names = {spec.name for spec in default_declarations().topics}
    domains = {"events.conversations", "events.outreach", "events.web", "events.contacts"}
    alerts = {
        "alerts.destinations",
        "alerts.notifications",
        "alerts.notifications.dlq",
        "alerts.rules",
    }
    twins = {d + ".dlq" for d in {*domains, "rows"}}
    assert (
        names
        == domains | twins | {"tenants", "keys", "rows", "collector.dlq", "dashboards"} | alerts
    )


def test_a_topic_other_than_a_domain_topic_gets_a_twin_only_when_declared() -> None:
    """``dead_letter = true`` gives a twin; a domain topic cannot do without one."""
    with_twin = parse(MINIMAL + '[[topic]]\nname = "out"\ndead_letter = true\n')
    assert with_twin.get("out.dlq").dead_letter_of == "out"
    assert {s.name for s in parse(MINIMAL + '[[topic]]\nname = "out"\n').topics} == {
        "events.a",
        "events.a.dlq",
        "out",
    }
    with pytest.raises(DeclarationError, match="dead_letter"):
        parse(MINIMAL.replace('name = "events.a"', 'name = "events.a"\ndead_letter = false'))


def test_a_dead_letter_topic_of_a_source_that_is_no_topic_is_named_after_it() -> None:
    """``dead_letter_of`` declares letters of a non-topic source; its name must be source+suffix."""
    extra = '[[topic]]\nname = "collector.dlq"\ndead_letter_of = "collector"\n'
    assert parse(MINIMAL + extra).get("collector.dlq").dead_letter_of == "collector"
    with pytest.raises(DeclarationError, match=r"collector\.dlq"):
        parse(MINIMAL + extra.replace('name = "collector.dlq"', 'name = "refused"'))
    with pytest.raises(DeclarationError, match="routes no events"):
        parse(MINIMAL + extra + "dead_letter = true\n")


def test_dead_letter_twins_keep_longer_and_follow_their_source() -> None:
    """Each domain topic's twin has the same partitions and a longer retention."""
    decl = default_declarations()
    for spec in decl.domain_topics():
        twin = decl.get(decl.dead_letter_name(spec.name))
        assert twin.dead_letter_of == spec.name
        assert twin.partitions == spec.partitions
        assert int(twin.config["retention.ms"]) > int(spec.config["retention.ms"])


def test_tenants_is_compacted_and_rows_is_deleted() -> None:
    """The tenant settings topic is compacted; the hand-off topic expires by time."""
    decl = default_declarations()
    assert decl.get("tenants").config["cleanup.policy"] == "compact"
    assert decl.get("rows").config["cleanup.policy"] == "delete"
    assert "retention.ms" in decl.get("rows").config


def test_every_event_type_with_a_schema_is_routed() -> None:
    """The routing table covers exactly the event types of the Avro catalogue."""
    routed = {t for spec in default_declarations().domain_topics() for t in spec.event_types}
    schemas = {p.name for p in SCHEMA_DIR.iterdir() if p.is_dir()}
    assert routed == schemas


def test_defaults_leave_counts_to_the_settings() -> None:
    """A topic without partitions/replication leaves them to the cluster-wide settings."""
    spec = parse(MINIMAL).get("events.a")
    assert (spec.partitions, spec.replication) == (None, None)
    assert parse(MINIMAL).get("events.a.dlq").dead_letter_of == "events.a"


def test_integer_config_values_become_strings() -> None:
    """Kafka configs are strings; an integer in the TOML is accepted and normalised."""
    spec = parse('[[topic]]\nname = "x"\nconfig = { "retention.ms" = 1000 }\n').get("x")
    assert spec.config == {"retention.ms": "1000"}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[[topic]\n", ""),
        ("", "topic"),
        ('[[topic]]\nname = "x"\nretention = 5\n', "topic[0].retention"),
        ("[[topic]]\npartitions = 3\n", "topic[0].name"),
        ('[[topic]]\nname = "bad name"\n', "topic[0].name"),
        ('[[topic]]\nname = "x"\npartitions = 0\n', "topic[0].partitions"),
        ('[[topic]]\nname = "x"\npartitions = "4"\n', "topic[0].partitions"),
        ('[[topic]]\nname = "x"\npartitions = true\n', "topic[0].partitions"),
        ('[[topic]]\nname = "x"\nreplication = -1\n', "topic[0].replication"),
        ('[[topic]]\nname = "x"\nconfig = { "retention.ms" = 1.5 }\n', "topic[0].config"),
        ('[[topic]]\nname = "x"\nevent_types = ["a.b"]\n', "topic[0].key_fields"),
        ('[[topic]]\nname = "x"\nkey_fields = ["id"]\n', "topic[0].event_types"),
        (
            '[[topic]]\nname = "x"\nevent_types = ["a", "a"]\nkey_fields = ["k"]\n',
            "topic[0].event_types",
        ),
        ('[[topic]]\nname = "x"\n[[topic]]\nname = "x"\n', "name"),
        (MINIMAL + '[[topic]]\nname = "events.a.dlq"\n', "name"),
        (
            MINIMAL + '[[topic]]\nname = "b"\nkey_fields = ["k"]\nevent_types = ["a.happened"]\n',
            "event_types",
        ),
        ('[dead_letter]\nsuffix = ""\n' + MINIMAL, "dead_letter.suffix"),
        ("[dead_letter]\nretention = 1\n" + MINIMAL, "dead_letter.retention"),
        ("oops = 1\n" + MINIMAL, "oops"),
    ],
)
def test_malformed_declarations_are_refused(text: str, field: str) -> None:
    """Each kind of mistake raises a DeclarationError naming the offending field."""
    with pytest.raises(DeclarationError) as caught:
        parse(text)
    assert caught.value.fields["field"] == field
    assert isinstance(caught.value, TopicsError)


def test_undeclared_topic_lookup_fails() -> None:
    """Asking for a topic that is not declared is an error, not a silent default."""
    with pytest.raises(DeclarationError):
        default_declarations().get("events.nope")
    with pytest.raises(DeclarationError):
        default_declarations().dead_letter_name("tenants")
