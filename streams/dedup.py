"""Deduplication: the first valid occurrence of ``(tenant_id, event_id)`` counts, once.

An event is remembered by its :func:`digest`, 16 bytes of BLAKE2b over the length-prefixed
tenant and event ids: two distinct events are taken for copies of each other only if their
128-bit digests collide (about 2^-128 per pair; ~10^-26 with 2M events remembered at once),
which we accept. The ids themselves are never kept.

The ``seen`` table holds *segments*, not single events: one entry per batch, keyed
``"topic:partition:offset:n"`` after its first new event, valued (raw bytes) with the batch's
seen instant (8 bytes), its partition (4 bytes) and the digests of its new events (16 bytes
each). Every table write is a changelog record that the transaction carries and a restart
replays, so one record per batch instead of one per event is what keeps dedup off the per-event
cost; and a value of bytes is what a restart rebuilds, so memory is the same after a recovery.
:class:`SeenIndex` is the in-memory set of the digests plus, per partition, the segments in the
order they expire; it is rebuilt from the table whenever the consumer generation changes, since
a rebalance is when Faust recovers tables from their changelogs. Measured (``make bench``,
``dedup_bytes_per_event``): ~120 bytes a remembered event, against ~190 for the JSON segments of
``[tenant_id, event_id]`` pairs and a set of tuples this replaced (~330 after a recovery).

Segments are forgotten ``dedup_horizon_seconds`` (30 days by default) after their batch: each
batch expires at most :data:`EXPIRE_PER_BATCH` due segments of its partition (removed and
tombstoned in the batch's own transaction), and an hourly sweep does the same for partitions that
receive nothing. A copy arriving later than that counts again. Only accepted events are
remembered: a rejected message can be resent corrected with the same id.

The table is partitioned like its source, so dedup assumes a given event always arrives with
the same key (routing derives the key from the event, so it does). Raising a topic's partition
count moves keys to other partitions and would let old copies through: repartitioning needs
an ops procedure (rebuild the table), which is not written yet.
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from collections.abc import Container, Iterator, Mapping
from typing import NamedTuple

import orjson

from pulse.streams.source import SourceRecord

DIGEST_BYTES = 16
# ~80 kB per changelog record, well under the broker's 1 MiB limit.
SEGMENT_KEYS = 5000
# A batch writes one segment (two past SEGMENT_KEYS events), so expiring a few more than that per
# batch keeps up with any steady state while bounding the work of one batch.
EXPIRE_PER_BATCH = 4
_HEADER = struct.Struct(">qi")  # seen instant (ms), partition


def digest(tenant_id: str, event_id: str) -> bytes:
    """The 16-byte identity of an event (the tenant is length-prefixed: no id can shift it)."""
    tenant = tenant_id.encode()
    data = len(tenant).to_bytes(4, "big") + tenant + event_id.encode()
    return hashlib.blake2b(data, digest_size=DIGEST_BYTES).digest()


class Segment(NamedTuple):
    seen_ms: int
    partition: int
    digests: list[bytes]


def encode_segment(seen_ms: int, partition: int, digests: list[bytes]) -> bytes:
    return _HEADER.pack(seen_ms, partition) + b"".join(digests)


def decode_segment(value: bytes) -> Segment:
    """A stored segment; also reads the JSON ``[seen_ms, partition, [[tenant, id], …]]`` segments
    the worker wrote before digests, so an upgraded worker recovers its predecessor's table."""
    if value[:1] == b"[":
        seen_ms, partition, pairs = orjson.loads(value)
        return Segment(seen_ms, partition, [digest(t, e) for t, e in pairs])
    seen_ms, partition = _HEADER.unpack_from(value)
    step, start = DIGEST_BYTES, _HEADER.size
    return Segment(
        seen_ms, partition, [value[i : i + step] for i in range(start, len(value), step)]
    )


def segments(digests: list[bytes], first: SourceRecord, now_ms: int) -> Iterator[tuple[str, bytes]]:
    """The ``seen`` entries recording ``digests``, whose first event came from ``first``.

    Named after the first *new* event's offset, which no other segment can share: a batch that
    is fetched again starts at the same offset, but its first new event is a later one.
    """
    for n, start in enumerate(range(0, len(digests), SEGMENT_KEYS)):
        chunk = digests[start : start + SEGMENT_KEYS]
        yield f"{first.slice}:{first.offset}:{n}", encode_segment(now_ms, first.partition, chunk)


class SeenIndex:
    """The digests of all segments of the ``seen`` table, and the segments by expiry order."""

    def __init__(self) -> None:
        self._digests: set[bytes] = set()
        # Per partition, (seen instant, key, stored value) oldest first; the value is the table's
        # own bytes object, so the queue costs a reference per segment, not per event.
        self._due: dict[int, deque[tuple[int, str, bytes]]] = {}
        self._generation: int | None = None

    def sync(self, table: Mapping[str, bytes], generation: int) -> None:
        """Rebuilds the index from the table once per consumer generation."""
        if generation == self._generation:
            return
        self._digests = set()
        self._due = {}
        stored = sorted((decode_segment(v).seen_ms, k, v) for k, v in table.items())
        for _, key, value in stored:
            self.add(key, value)
        self._generation = generation

    def __contains__(self, key: object) -> bool:
        return key in self._digests

    def __len__(self) -> int:
        return len(self._digests)

    def add(self, key: str, value: bytes) -> None:
        """Remembers a stored segment, the latest of its partition so far."""
        segment = decode_segment(value)
        self._digests.update(segment.digests)
        self._due.setdefault(segment.partition, deque()).append((segment.seen_ms, key, value))

    def expire(self, partition: int, cutoff_ms: int, limit: int | None) -> list[str]:
        """Forgets up to ``limit`` segments of ``partition`` seen before ``cutoff_ms``; their
        table keys, for the caller to delete and tombstone."""
        due = self._due.get(partition)
        keys: list[str] = []
        while due and due[0][0] < cutoff_ms and (limit is None or len(keys) < limit):
            _, key, value = due.popleft()
            self._digests.difference_update(decode_segment(value).digests)
            keys.append(key)
        return keys


class BatchDedup:
    """Decides first occurrences within a batch, against the index and the batch itself."""

    def __init__(self, seen: Container[bytes]) -> None:
        self._seen = seen
        self._new: set[bytes] = set()
        self.new: list[bytes] = []

    def first_time(self, tenant_id: str, event_id: str) -> bool:
        """True once per event: marks it seen when it is new."""
        key = digest(tenant_id, event_id)
        if key in self._new or key in self._seen:
            return False
        self._new.add(key)
        self.new.append(key)
        return True
