"""Dead letters keep a bounded prefix of a payload with its full length and hash, and the sink's
own letters (one per refused row of a hand-off message) are told apart by ``source_row``.

``source_row`` joins the sorting key, so that two refused rows of one hand-off message are two
letters; ClickHouse lets a column join the key only in the ALTER that adds it, without a default
expression (it is 0 for every earlier letter).
"""

FORWARDS = [
    """
    ALTER TABLE {db}.dead_letters
        ADD COLUMN IF NOT EXISTS source_row UInt32 AFTER source_offset,
        ADD COLUMN IF NOT EXISTS payload_bytes UInt64 AFTER payload_b64,
        ADD COLUMN IF NOT EXISTS payload_sha256 String AFTER payload_bytes,
        MODIFY ORDER BY (source_topic, source_partition, source_offset, source_row)
    """,
]

BACKWARDS = [
    "ALTER TABLE {db}.dead_letters MODIFY ORDER BY (source_topic, source_partition, source_offset)",
    """
    ALTER TABLE {db}.dead_letters
        DROP COLUMN IF EXISTS source_row,
        DROP COLUMN IF EXISTS payload_bytes,
        DROP COLUMN IF EXISTS payload_sha256
    """,
]
