"""Which day a scheduled invocation is for.

EventBridge Scheduler retries a target it could not invoke for up to 24 hours, and Lambda retries a failed
asynchronous invocation for hours: a run meant for Monday 10:30 can arrive after midnight. The schedules
therefore pass ``<aws.scheduler.scheduled-time>`` (template.yaml), the time the run was *meant* for, which
every retry keeps; the day is read from it in the company's time zone, never from the clock at arrival.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo


class BadScheduledEvent(ValueError):
    """A scheduled event whose ``run_date`` or ``scheduled_time`` cannot be read."""


def scheduled_day(event: Mapping[str, Any], timezone: str, now: datetime, *, day_key: str = "run_date") -> date:
    """The day the invocation is for: ``event[day_key]`` when given (an operator's rerun or backfill), else the
    company's date at the event's ``scheduled_time``, else its date at ``now`` (an aware datetime)."""
    given = event.get(day_key)
    if given:
        try:
            return date.fromisoformat(str(given))
        except ValueError:
            raise BadScheduledEvent(f"{day_key} must be a date written YYYY-MM-DD, not {str(given)[:40]!r}") from None
    scheduled = event.get("scheduled_time")
    if scheduled:
        try:
            moment = datetime.fromisoformat(str(scheduled))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise BadScheduledEvent("scheduled_time must be an ISO 8601 time with its zone, as EventBridge Scheduler "
                                    f"writes <aws.scheduler.scheduled-time>, not {str(scheduled)[:40]!r}")
        return moment.astimezone(ZoneInfo(timezone)).date()
    return now.astimezone(ZoneInfo(timezone)).date()
