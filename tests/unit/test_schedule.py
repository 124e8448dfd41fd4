"""The day a scheduled run is for: the operator's date, else the time Scheduler meant, never the arrival time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from relance.app.schedule import BadScheduledEvent, scheduled_day

ARRIVED = datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 in Paris, the night summer time starts


def test_an_operators_run_date_wins_over_the_schedule():
    event = {"run_date": "2026-03-20", "scheduled_time": "2026-03-27T08:00:00Z"}

    assert scheduled_day(event, "Europe/Paris", ARRIVED) == date(2026, 3, 20)


@pytest.mark.parametrize(("scheduled", "expected"), [
    ("2026-03-29T22:30:00Z", date(2026, 3, 30)),  # 00:30 in Paris (summer time): already Monday
    ("2026-03-28T22:30:00Z", date(2026, 3, 28)),  # 23:30 in Paris (winter time): still Saturday
    ("2026-03-28T09:00:00+01:00", date(2026, 3, 28)),
])
def test_the_scheduled_time_is_read_in_the_companys_time_zone(scheduled, expected):
    assert scheduled_day({"scheduled_time": scheduled}, "Europe/Paris", ARRIVED) == expected


def test_without_either_the_day_is_the_companys_date_on_arrival():
    assert scheduled_day({"source": "aws.scheduler"}, "Europe/Paris", ARRIVED) == date(2026, 3, 30)


@pytest.mark.parametrize("event", [
    {"run_date": "30/03/2026"},
    {"scheduled_time": "<aws.scheduler.scheduled-time>"},  # a schedule whose placeholder was not substituted
    {"scheduled_time": "2026-03-28T09:00:00"},  # no zone: which 09:00?
], ids=["french_date", "placeholder", "naive"])
def test_an_unreadable_day_is_a_clear_error(event):
    with pytest.raises(BadScheduledEvent, match=r"run_date|scheduled_time"):
        scheduled_day(event, "Europe/Paris", ARRIVED)
