"""The evaluator's scheduled run is one application function: the day, the shard jobs, then the parked steps."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from relance.app.evaluate import start_day
from relance.app.messages import ChannelMessage, MessageAction
from relance.app.parked import park
from tests.support.fake_store import FakeStore

# 23:30 UTC on 23 November is already 24 November in Paris: the day comes from the rules' time zone.
ARRIVED = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
DAY = date(2026, 11, 24)


class Queue:
    def __init__(self, refuse: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse

    def __call__(self, bodies):
        kept = list(bodies)[self.refuse:]
        self.sent.extend(kept)
        return {key for key, _ in kept}


def _parked(store: FakeStore, ready_on: date = DAY) -> None:
    message = ChannelMessage("key-F1", date(2026, 11, 12), "C009", "litigation", "formel",
                             (MessageAction("F1", "injonction", "pro", "standard"),), "digest", resumes="first-F1")
    park(store, key=message.key, body=message.body(), invoice="F1", ready_on=ready_on)


def test_the_scheduled_run_queues_one_job_per_shard_for_the_company_s_day_then_releases_the_parked_steps():
    store, jobs, litigation = FakeStore(), Queue(), Queue()
    _parked(store)

    day = start_day({}, timezone="Europe/Paris", now=ARRIVED, shards=4, queue_jobs=jobs, store=store,
                    queue_litigation=litigation)

    assert (day.run_date, day.queued, day.released, day.complete) == (DAY, 4, 1, True)
    assert sorted(json.loads(body)["shard"] for _, body in jobs.sent) == [0, 1, 2, 3]
    assert {json.loads(body)["run_date"] for _, body in jobs.sent} == {"2026-11-24"}
    assert [ChannelMessage.from_body(body).customer for _, body in litigation.sent] == ["C009"]
    assert store.parked_until(DAY) == []


def test_the_day_follows_the_rules_time_zone_not_utc():
    day = start_day({}, timezone="Pacific/Auckland", now=datetime(2026, 11, 23, 12, tzinfo=UTC), shards=1,
                    queue_jobs=Queue(), store=FakeStore(), queue_litigation=Queue())
    assert day.run_date == date(2026, 11, 24)  # 01:00 the next day in Auckland


def test_shard_jobs_refused_release_nothing_so_the_retried_run_does_it_all():
    store, litigation = FakeStore(), Queue()
    _parked(store)

    day = start_day({"run_date": "2026-11-24"}, timezone="Europe/Paris", now=ARRIVED, shards=4,
                    queue_jobs=Queue(refuse=1), store=store, queue_litigation=litigation)

    assert (day.queued, day.complete, day.released) == (3, False, 0)
    assert litigation.sent == [] and len(store.parked_until(DAY)) == 1
