"""The bounds of an event's instant (``occurred_at``), checked alike at every edge.

An instant must be no earlier than a floor (2000-01-01 by default) and no later than a reference
"now" plus a skew (one day by default). Microseconds or nanoseconds written where milliseconds
belong, a year-2350 date or a negative epoch all land outside, and so become a ``too_old`` or
``from_future`` refusal instead of a bucket no calendar holds or a row ClickHouse cannot store.

The reference differs by edge: the producer SDK and ``pulse produce`` use the wall clock; the
worker uses the source message's broker timestamp, so a batch replayed after a crash decides
alike, and the wall clock for a message without a timestamp or stamped in the future.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulse.avro.errors import ContractError
from pulse.avro.timestamps import format_iso_ms, parse_iso_ms
from pulse.errors import ConfigError
from pulse.settings import ContractSettings

# ClickHouse's DateTime64(3) holds 1900-01-01 to 2299-12-31: a floor or horizon outside it
# would accept instants the sink cannot store.
_STORABLE_FROM_MS = -2_208_988_800_000
_STORABLE_UNTIL_MS = 10_413_791_999_999
_MAX_SKEW_SECONDS = 10 * 366 * 24 * 3600


class TooOldError(ContractError):
    """An instant earlier than the configured floor."""

    code = "too_old"


class FromFutureError(ContractError):
    """An instant later than the reference "now" plus the configured skew."""

    code = "from_future"


@dataclass(frozen=True, slots=True)
class InstantBounds:
    floor_ms: int
    skew_ms: int

    @classmethod
    def from_settings(cls, contract: ContractSettings) -> InstantBounds:
        """The bounds of ``contract``; :class:`ConfigError` for a floor or skew out of reach."""
        floor = parse_iso_ms(contract.floor)
        if floor is None or floor < _STORABLE_FROM_MS:
            raise ConfigError(
                f"PULSE_CONTRACT_FLOOR={contract.floor!r} is not an ISO-8601 instant"
                " with an offset, from 1900-01-01 on",
                var="PULSE_CONTRACT_FLOOR",
            )
        if not 0 <= contract.future_skew_seconds <= _MAX_SKEW_SECONDS:
            raise ConfigError(
                f"PULSE_CONTRACT_FUTURE_SKEW_SECONDS={contract.future_skew_seconds} is outside"
                f" 0..{_MAX_SKEW_SECONDS}",
                var="PULSE_CONTRACT_FUTURE_SKEW_SECONDS",
            )
        return cls(floor, contract.future_skew_seconds * 1000)

    def latest_ms(self, now_ms: int) -> int:
        """The latest instant accepted when it is ``now_ms``."""
        return min(now_ms + self.skew_ms, _STORABLE_UNTIL_MS)

    def check(self, field: str, instant_ms: int, now_ms: int) -> None:
        """Raises :class:`TooOldError` or :class:`FromFutureError` for an instant out of bounds."""
        if instant_ms < self.floor_ms:
            raise TooOldError(
                f"{field}: {_text(instant_ms)} is before the floor {_text(self.floor_ms)}",
                field=field,
                reason="too_old",
                floor=format_iso_ms(self.floor_ms),
            )
        latest = self.latest_ms(now_ms)
        if instant_ms > latest:
            # Milliseconds of today times 1000 or 1e6: name the likely mistake.
            hint = "; microseconds or nanoseconds?" if instant_ms > 100 * max(now_ms, 1) else ""
            raise FromFutureError(
                f"{field}: {_text(instant_ms)} is after {_text(latest)}"
                f" (now plus {self.skew_ms // 1000} s){hint}",
                field=field,
                reason="from_future",
                latest=format_iso_ms(latest),
            )


def _text(instant_ms: int) -> str:
    """An instant as ISO text where a calendar holds it, else the raw number."""
    if _STORABLE_FROM_MS * 10 <= instant_ms <= _STORABLE_UNTIL_MS * 10:
        try:
            return format_iso_ms(instant_ms)
        except OverflowError:
            pass
    return f"{instant_ms} ms"
