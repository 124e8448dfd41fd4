"""The contact policy (SPEC §2.8): relance speaks to a *customer*, not to each of its invoices.

Pure: the planner hands it one customer's actions of the day and the messages that customer already
received; it answers which actions go, with which channel and tone, and which wait for a later run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

LITIGATION = "litigation"
REGISTERED_LETTER = "registered_letter"
REASON_CONTACT_LIMIT = "contact limit"
REASON_NOT_YET_DUE = "not yet due"
# Between two messages of the same tone, the one a debtor takes more seriously (SPEC §2.8: letter > phone > email).
CHANNEL_STRENGTH = {"email": 0, "phone": 1, "letter": 2, REGISTERED_LETTER: 3}
LIMIT_KEYS = ("max_messages_per_day", "window_days", "max_messages_in_window", "tone_floor_days")


@dataclass(frozen=True, slots=True)
class ContactLimits:
    max_messages_per_day: int = 1
    window_days: int = 7
    max_messages_in_window: int = 3
    tone_floor_days: int = 30


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    """The rules' ``contact`` section: limits for every customer, and those of consumers."""

    limits: ContactLimits = field(default_factory=ContactLimits)
    consumer: ContactLimits = field(default_factory=ContactLimits)

    def for_kind(self, kind: str) -> ContactLimits:
        return self.consumer if kind == "consumer" else self.limits

    @property
    def horizon_days(self) -> int:
        """How far back a run looks at what a customer received: its window and its tone floor."""
        return max(self.limits.window_days, self.limits.tone_floor_days,
                   self.consumer.window_days, self.consumer.tone_floor_days)


class SentMessage(NamedTuple):
    """A message a customer received: one (day, channel, tone). ``tone`` is None when it is not known."""

    date: date
    channel: str
    tone: str | None


# One action the planner found due for the customer today, before the policy: (channel, tone, overdue), overdue
# meaning D > the invoice's due date. Plain tuples: a run makes one per action, on every customer of the book.
Candidate = tuple[str, "str | None", bool]
# What becomes of it: (channel, tone, None) when it goes, (channel, tone, reason) when it waits for a later run.
Outcome = tuple[str, "str | None", "str | None"]


def strength(channel: str, tone: str | None, tones: Sequence[str]) -> tuple[int, int, int]:
    """How strongly a message speaks: a registered letter first, then the tone, then the channel."""
    return _strength(channel, tone, _ranks(tuple(tones)))


def _strength(channel: str, tone: str | None, rank: dict[str, int]) -> tuple[int, int, int]:
    return (channel == REGISTERED_LETTER, rank.get(tone, -1) if tone is not None else -1,
            CHANNEL_STRENGTH.get(channel, -1))


@cache
def _ranks(tones: tuple[str, ...]) -> dict[str, int]:
    return {tone: i for i, tone in enumerate(tones)}


def tone_floor(received: Collection[SentMessage], in_litigation: bool, limits: ContactLimits, on: date,
               tones: Sequence[str]) -> int:
    """Rank of the mildest tone the customer may now get: the strongest it received over the floor's days (the
    strongest allowed when one of its invoices is in litigation), never the formal notice's own tone."""
    cap = max(len(tones) - 2, 0)
    if in_litigation:
        return cap
    start = on - timedelta(days=limits.tone_floor_days)
    rank = _ranks(tuple(tones))
    ranks = [rank.get(m[2], -1) for m in received if start <= m[0] < on and m[2] is not None]
    return min(max(ranks, default=-1), cap)


def allowed_messages(received: Collection[SentMessage], limits: ContactLimits, on: date) -> int:
    """How many messages the customer may still receive on D: the day's cap and the window's, whichever is less."""
    start = on - timedelta(days=limits.window_days)
    today = in_window = 0
    for message in received:
        if message[0] == on:
            today += 1
        elif start <= message[0] < on:
            in_window += 1
    return min(limits.max_messages_per_day - today, limits.max_messages_in_window - in_window)


def decide(candidates: Sequence[Candidate], received: Collection[SentMessage], in_litigation: bool,
           limits: ContactLimits, on: date, tones: Sequence[str]) -> list[Outcome]:
    """SPEC §2.8 for one customer on D, one outcome per candidate in their order: window, then tone floor, then
    merging. ``received``: the distinct (date, channel, tone) it was sent over all its invoices, litigation apart;
    ``in_litigation``: one of its invoices has status litigation. Litigation passes untouched."""
    out: list[Outcome] = [(channel, tone, None) for channel, tone, _ in candidates]
    talking = [i for i, c in enumerate(candidates) if c[0] != LITIGATION]
    if not talking:
        return out
    if len(talking) == 1:
        i = talking[0]
        out[i] = decide_one(*candidates[i], received, in_litigation, limits, on, tones)
        return out
    allowed = allowed_messages(received, limits, on)
    if allowed <= 0:
        for i in talking:
            out[i] = (*candidates[i][:2], REASON_CONTACT_LIMIT)
        return out
    overdue = [i for i in talking if candidates[i][2]]
    if overdue and len(overdue) < len(talking):
        for i in talking:
            if not candidates[i][2]:
                out[i] = (*candidates[i][:2], REASON_NOT_YET_DUE)
        talking = overdue
    rank = _ranks(tuple(tones))
    groups: dict[tuple[str, str | None], list[int]] = {}
    if overdue:
        floor = tone_floor(received, in_litigation, limits, on, tones)
        for i in talking:
            channel, tone, _ = candidates[i]
            if floor >= 0 and tone is not None and rank.get(tone, floor) < floor:  # _raised, on the hot path
                tone = tones[floor]
            group = groups.get((channel, tone))
            if group is None:
                groups[(channel, tone)] = [i]
            else:
                group.append(i)
    else:
        for i in talking:
            groups.setdefault(candidates[i][:2], []).append(i)
    if len(groups) == 1:
        ((channel, tone), listed), = groups.items()
        for i in listed:
            out[i] = (channel, tone, None)
        return out
    ordered = sorted(groups, key=lambda g: _strength(g[0], g[1], rank), reverse=True)
    if len(ordered) <= allowed:
        kept, merged = ordered, []
    else:
        kept, merged = ordered[:allowed - 1], ordered[allowed - 1:]
    for group in kept:
        for i in groups[group]:
            out[i] = (*group, None)
    if merged:
        channel, tone = merged[0]  # the strongest of the rest: a registered letter takes the others in
        for group in merged:
            for i in groups[group]:
                out[i] = (channel, tone, None)
    return out


def decide_one(channel: str, tone: str | None, overdue: bool, received: Collection[SentMessage],
               in_litigation: bool, limits: ContactLimits, on: date, tones: Sequence[str]) -> Outcome:
    """:func:`decide` for one candidate that speaks (not litigation), the customer's only one today: it goes
    unless the window is full, raised to the tone floor when it is overdue; nothing to merge it with."""
    if allowed_messages(received, limits, on) <= 0:
        return (channel, tone, REASON_CONTACT_LIMIT)
    if overdue:
        tone = _raised(tone, tone_floor(received, in_litigation, limits, on, tones), tones)
    return (channel, tone, None)


def _raised(tone: str | None, floor: int, tones: Sequence[str]) -> str | None:
    if floor < 0 or tone is None:
        return tone
    rank = _ranks(tuple(tones)).get(tone)
    return tone if rank is None or rank >= floor else tones[floor]
