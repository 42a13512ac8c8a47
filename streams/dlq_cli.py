"""``pulse dlq list|show|replay``: inspect dead letters and send them through the worker again.

``list`` and ``replay`` read the dead-letter topics (all of them, or ``--topic``'s) up to their
ends at start and act on the letters that match every filter given; ``show`` prints one letter
by the id ``list`` prints. Why the Kafka topics and not the ``dead_letters`` table:
:mod:`pulse.streams.dlq_reader`. A letter of the HTTP collector (``collector.dlq``) is judged
again as the collector judges (:mod:`pulse.collector.replay`): what passes goes to its domain
topic, what does not is named, counted and left where it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

import structlog
from tqdm import tqdm

from pulse.avro.codec import EventDecoder
from pulse.avro.registry import registry_client
from pulse.avro.schemas import SchemaCatalog
from pulse.collector.collect_cli import judge_for
from pulse.collector.replay import CollectorReplay
from pulse.collector.verdicts import Rejected
from pulse.settings import Settings
from pulse.streams.dlq_letters import Letter, LetterFilter, LetterId, parse_time
from pulse.streams.dlq_reader import DeadLetterScan, dlq_topics, fetch_letter
from pulse.streams.dlq_replay import Replayer
from pulse.streams.dlq_show import render
from pulse.topics.declarations import Declarations, default_declarations

log = structlog.get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one line per dead letter, then a count by code")
    _add_filters(listing)
    listing.add_argument("--limit", type=int, default=0, help="stop after N letters")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = actions.add_parser("show", help="one letter's headers and payload")
    show.add_argument("letter_id", help="<dlq topic>:<partition>:<offset>, as `list` prints it")
    replay = actions.add_parser("replay", help="re-publish letters to their source topics")
    _add_filters(replay)
    replay.add_argument("--dry-run", action="store_true", help="list what would be replayed")
    replay.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", help="a domain topic or its .dlq twin, short or full name")
    parser.add_argument("--tenant", help="tenant id ('' for letters of an unknown tenant)")
    parser.add_argument("--code", help="error code, e.g. from_future or decode_error")
    parser.add_argument("--since", help="failed at or after this ISO-8601 time (UTC if no zone)")
    parser.add_argument("--until", help="failed before this ISO-8601 time")


def run(args: argparse.Namespace, settings: Settings) -> int:
    declarations = default_declarations()
    if args.action == "show":
        return _show(args, settings, declarations)
    letter_filter = LetterFilter(
        tenant=args.tenant,
        code=args.code,
        since_ms=None if args.since is None else parse_time(args.since, "--since"),
        until_ms=None if args.until is None else parse_time(args.until, "--until"),
    )
    topics = dlq_topics(settings, declarations, args.topic)
    scan = DeadLetterScan(settings, topics, declarations.dead_letter_suffix)
    for topic in scan.missing:
        print(f"note: {topic} does not exist (run `pulse topics apply`)", file=sys.stderr)
    try:
        if args.action == "list":
            return _list(args, scan, letter_filter)
        return _replay(args, settings, scan, letter_filter)
    finally:
        scan.close()


def _list(args: argparse.Namespace, scan: DeadLetterScan, letter_filter: LetterFilter) -> int:
    codes: Counter[str] = Counter()
    for letter in scan:
        if not letter_filter.matches(letter):
            continue
        print(json.dumps(letter.summary()) if args.json else line(letter))
        codes[letter.code] += 1
        if args.limit and codes.total() >= args.limit:
            break
    print(count_by_code(codes), file=sys.stderr if args.json else sys.stdout)
    return 0


def _show(args: argparse.Namespace, settings: Settings, declarations: Declarations) -> int:
    letter = fetch_letter(settings, LetterId.parse(args.letter_id), declarations.dead_letter_suffix)
    decoder = EventDecoder(SchemaCatalog(), registry_client(settings.kafka.schema_registry_url))
    for text in render(letter, decoder):
        print(text)
    return 0


def _replay(
    args: argparse.Namespace, settings: Settings, scan: DeadLetterScan, letter_filter: LetterFilter
) -> int:
    replayer = None if args.dry_run else Replayer(settings.kafka)
    collected: CollectorReplay | None = None
    targets: Counter[str] = Counter()
    skipped = refused = 0
    with tqdm(total=scan.total, unit="letter", disable=args.quiet, file=sys.stderr) as bar:
        for letter in scan:
            bar.update(1)
            if not letter_filter.matches(letter):
                continue
            if letter.truncated:
                skipped += 1
                bar.write(
                    f"skipped {letter.id}: truncated (only a prefix of the message is stored)",
                    file=sys.stderr,
                )
                continue
            topic = letter.source_topic
            if letter.collected:
                collected = collected or CollectorReplay(judge_for(settings))
                verdict = collected.verdict(letter)
                if isinstance(verdict, Rejected):
                    refused += 1
                    bar.write(
                        f"refused {letter.id}: still {verdict.code} ({verdict.detail})",
                        file=sys.stderr,
                    )
                    continue
                topic = verdict.topic
                if replayer is not None:
                    replayer.send_event(letter, verdict.topic, verdict.key, verdict.value)
            elif replayer is not None:
                replayer.send(letter)
            if replayer is None:
                bar.write(line(letter), file=sys.stdout)
            targets[topic] += 1
            bar.set_postfix(replayed=targets.total(), skipped=skipped, refresh=False)
        if replayer is not None:
            replayer.flush()
    verb = "would replay" if args.dry_run else "replayed"
    print(
        f"{verb} {targets.total()} letter(s); skipped {skipped} truncated;"
        f" {refused} collector letter(s) refused again"
    )
    for topic, count in sorted(targets.items()):
        print(f"  {count} to {topic}")
    log.info(
        "dlq_replay",
        dry_run=args.dry_run,
        replayed=targets.total(),
        skipped=skipped,
        refused=refused,
    )
    return 0


def line(letter: Letter) -> str:
    """One letter as ``list`` prints it: id, time, tenant, code, field, size, reason."""
    return "  ".join(
        (
            str(letter.id),
            letter.failed_at_iso,
            letter.tenant_id or "-",
            letter.code,
            letter.field or "-",
            f"{letter.payload_bytes}B" + (" (truncated)" if letter.truncated else ""),
            letter.reason,
        )
    )


def count_by_code(codes: Counter[str]) -> str:
    by_code = ", ".join(f"{code} {count}" for code, count in sorted(codes.items()))
    return f"{codes.total()} letter(s)" + (f": {by_code}" if by_code else "")
