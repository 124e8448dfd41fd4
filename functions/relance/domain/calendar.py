"""Business days: weekends and the public holidays of a country (and subdivision): France's from the shipped
table (domain.public_holidays), another country's from ``holidays``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .public_holidays import Holidays

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CalendarSettings:
    timezone: str = "Europe/Paris"
    business_days_only: bool = True
    country: str | None = "FR"  # None: no public holidays at all
    subdivision: str | None = None
    min_gap_days: int = 3


@dataclass(slots=True)
class BusinessCalendar:
    """Answers "is this a business day?" quickly; holiday years are loaded on first use."""

    settings: CalendarSettings
    _holidays: Any = field(default=None, init=False)  # public_holidays.Holidays, built on first use
    _cache: dict[date, bool] = field(default_factory=dict, init=False)
    _forward: dict[date, date] = field(default_factory=dict, init=False)

    def is_holiday(self, day: date) -> bool:
        if self.settings.country is None:
            return False
        if self._holidays is None:
            self._holidays = Holidays(self.settings.country, self.settings.subdivision)
        return day in self._holidays

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day) if self.is_holiday(day) and self._holidays is not None else None

    def is_business_day(self, day: date) -> bool:
        known = self._cache.get(day)
        if known is None:
            known = day.weekday() < 5 and not self.is_holiday(day)
            self._cache[day] = known
        return known

    def on_or_after(self, day: date) -> date:
        """``day`` itself when actions may happen on it, else the next business day."""
        if not self.settings.business_days_only:
            return day
        moved = self._forward.get(day)
        if moved is None:
            moved = day
            while not self.is_business_day(moved):
                moved += ONE_DAY
            self._forward[day] = moved
        return moved

    def can_act_on(self, day: date) -> bool:
        return not self.settings.business_days_only or self.is_business_day(day)
