"""Dead letters as the tools read them: ids, lenient headers, filters, times, topic names."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.settings import Settings
from pulse.streams.dlq_errors import BadLetterIdError, BadTimeError, UnknownTopicError
from pulse.streams.dlq_letters import Letter, LetterFilter, LetterId, iso, parse_time
from pulse.streams.dlq_reader import dlq_topics
from pulse.topics.declarations import default_declarations

ID = LetterId("pulse.events.web.dlq", 2, 41)
AT = 1_764_504_000_000  # 2025-11-30T12:00:00Z
FULL = [
    ("pulse.error.code", b"from_future"),
    ("pulse.error.field", b"occurred_at"),
    ("pulse.error.reason", b"later than the broker time plus the skew"),
    ("pulse.source.topic", b"pulse.events.web"),
    ("pulse.source.partition", b"2"),
    ("pulse.source.offset", b"977"),
    ("pulse.tenant_id", b"acme"),
    ("pulse.failed_at", str(AT).encode()),
    ("pulse.payload.bytes", b"5000000"),
    ("pulse.payload.sha256", b"ab" * 32),
    ("pulse.payload.truncated", b"true"),
]


def letter(headers: list[tuple[str, bytes | None]], value: bytes = b"body") -> Letter:
    return Letter.from_message(ID, b"acme:v1", value, headers, AT + 5, ".dlq")


def test_every_header_is_read_when_present() -> None:
    """Tenant, failure time, size, hash and truncation come from their headers."""
    got = letter(FULL)
    assert (got.code, got.field, got.tenant_id) == ("from_future", "occurred_at", "acme")
    assert got.source_topic == "pulse.events.web"
    assert got.failed_at_ms == AT
    assert (got.payload_bytes, got.payload_sha256, got.truncated) == (5_000_000, "ab" * 32, True)


def test_missing_headers_fall_back_to_the_message_itself() -> None:
    """Without the newer headers: unknown tenant, message time, stored size and its hash."""
    got = letter([("pulse.error.code", b"decode_error"), ("pulse.error.field", None)])
    assert got.tenant_id == "" and got.field == ""
    assert got.failed_at_ms == AT + 5
    assert got.payload_bytes == 4
    assert got.payload_sha256 == hashlib.sha256(b"body").hexdigest()
    assert not got.truncated
    assert got.source_topic == "pulse.events.web"  # the dlq name minus the suffix


def test_a_malformed_number_header_falls_back() -> None:
    """A failed_at that is not decimal text is ignored rather than failing the listing."""
    assert letter([("pulse.failed_at", b"yesterday")]).failed_at_ms == AT + 5


@given(
    st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True),
    st.integers(0, 10_000),
    st.integers(0, 2**62),
)
def test_an_id_parses_back_from_its_text(topic: str, partition: int, offset: int) -> None:
    """str(LetterId) and LetterId.parse are inverses for every valid topic name."""
    letter_id = LetterId(topic, partition, offset)
    assert LetterId.parse(str(letter_id)) == letter_id


@pytest.mark.parametrize("text", ["", "t.dlq", "t.dlq:1", "t.dlq:x:3", "t.dlq:1:-3", ":1:2"])
def test_a_bad_id_is_a_structured_error(text: str) -> None:
    """An id that is not topic:partition:offset raises BadLetterIdError naming it."""
    with pytest.raises(BadLetterIdError) as caught:
        LetterId.parse(text)
    assert caught.value.fields["letter_id"] == text


def test_filters_combine_and_until_is_exclusive() -> None:
    """A letter matches when every given filter matches; the time window is [since, until)."""
    got = letter(FULL)
    assert LetterFilter().matches(got)
    assert LetterFilter(tenant="acme", code="from_future", since_ms=AT, until_ms=AT + 1).matches(
        got
    )
    assert not LetterFilter(tenant="other").matches(got)
    assert not LetterFilter(code="decode_error").matches(got)
    assert not LetterFilter(since_ms=AT + 1).matches(got)
    assert not LetterFilter(until_ms=AT).matches(got)


def test_an_empty_tenant_filter_selects_letters_of_unknown_tenants() -> None:
    """--tenant '' finds letters whose tenant could not be read."""
    assert LetterFilter(tenant="").matches(letter([("pulse.error.code", b"decode_error")]))
    assert not LetterFilter(tenant="").matches(letter(FULL))


def test_times_parse_as_utc_unless_they_carry_a_zone() -> None:
    """Dates, naive date-times (UTC), Z and offsets all give the instant they name."""
    assert parse_time("2025-11-30", "--since") == AT - 12 * 3600 * 1000
    assert parse_time("2025-11-30T12:00:00", "--since") == AT
    assert parse_time("2025-11-30T12:00:00Z", "--since") == AT
    assert parse_time("2025-11-30T13:00:00+01:00", "--since") == AT
    assert iso(AT) == "2025-11-30T12:00:00.000Z"


def test_an_unparseable_time_names_its_option() -> None:
    """--since 'last week' raises BadTimeError with the option and the value."""
    with pytest.raises(BadTimeError) as caught:
        parse_time("last week", "--since")
    assert caught.value.fields == {"option": "--since", "value": "last week"}


def test_topics_are_named_short_or_full_source_or_twin() -> None:
    """Every spelling of a topic or its twin selects that twin (the collector's letters are
    ``collector``'s); none selects every twin."""
    settings = replace(Settings(), kafka=replace(Settings().kafka, topic_prefix="p"))
    declarations = default_declarations()
    for name in ("events.web", "events.web.dlq", "p.events.web", "p.events.web.dlq"):
        assert dlq_topics(settings, declarations, name) == ["p.events.web.dlq"]
    assert dlq_topics(settings, declarations, "collector") == ["p.collector.dlq"]
    assert sorted(dlq_topics(settings, declarations, None)) == [
        "p.collector.dlq",
        "p.events.contacts.dlq",
        "p.events.conversations.dlq",
        "p.events.outreach.dlq",
        "p.events.web.dlq",
        "p.rows.dlq",
    ]


@pytest.mark.parametrize("name", ["tenants", "events.nope", "q.events.web"])
def test_an_unknown_topic_is_a_structured_error(name: str) -> None:
    """A topic without a dead-letter twin raises UnknownTopicError listing the known."""
    with pytest.raises(UnknownTopicError) as caught:
        dlq_topics(Settings(), default_declarations(), name)
    assert caught.value.fields["topic"] == name
    assert "events.web" in caught.value.fields["known"]
