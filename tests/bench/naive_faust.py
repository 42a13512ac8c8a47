"""The baseline the pipeline is measured against: a naive Faust agent, one table update per event.

Run as ``python -m tests.bench.naive_faust worker`` with BENCH_* variables; it prints one JSON line
``{"events": N, "seconds": S}`` (first event to N-th event) to stdout and exits.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from typing import Any

import faust

from pulse.avro.codec import EventDecoder
from pulse.avro.schemas import SchemaCatalog

TOPIC = os.environ["BENCH_TOPIC"]
TOTAL = int(os.environ["BENCH_EVENTS"])

app = faust.App(
    os.environ["BENCH_APP_ID"],
    broker=f"kafka://{os.environ.get('BENCH_BOOTSTRAP', '127.0.0.1:9092')}",
    store="memory://",
    topic_replication_factor=1,
    # Faust requires a table's changelog to have its source topic's partition count.
    topic_partitions=int(os.environ["BENCH_PARTITIONS"]),
    table_standby_replicas=0,
    broker_session_timeout=6,
    web_enabled=False,
    datadir=os.environ["BENCH_DATA_DIR"],
)
source = app.topic(TOPIC, value_serializer="raw", key_serializer="raw")
# Event-time hour windows; the long expiry keeps Faust's wall-clock cleanup from dropping them.
counts = app.Table("naive_counts", default=int).tumbling(
    timedelta(hours=1), expires=timedelta(days=3650)
)
decoder = EventDecoder(SchemaCatalog())
progress: dict[str, Any] = {"n": 0, "t0": 0.0}


@app.agent(source)
async def count(stream: Any) -> None:
    async for value in stream:
        event = decoder.decode(value)
        counts[f"{event['tenant_id']}|{event['event_type']}"] += 1
        progress["n"] += 1
        if progress["n"] == 1:
            progress["t0"] = time.perf_counter()
        if progress["n"] == TOTAL:
            seconds = time.perf_counter() - progress["t0"]
            print(json.dumps({"events": TOTAL, "seconds": seconds}), flush=True)
            sys.stdout.flush()
            os._exit(0)


if __name__ == "__main__":
    app.main()
