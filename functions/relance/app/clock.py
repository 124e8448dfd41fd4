"""The company's clock: now, and today in the company's time zone — the rules' calendar, the one source.

``RELANCE_TODAY`` (settings.today_override) pins the day, at 10:00 local time: the local demo plays a month of
days. Every function that needs the date asks this clock (channels, digest, report, callbacks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Clock:
    timezone: str
    pinned: date | None = None
    wall: Callable[[], datetime] = field(default=now_utc)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        if self.pinned is not None:
            return datetime.combine(self.pinned, time(10, 0), self.zone).astimezone(UTC)
        return self.wall()

    def today(self) -> date:
        if self.pinned is not None:
            return self.pinned
        return self.wall().astimezone(self.zone).date()
