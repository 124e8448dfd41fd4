"""The contact policy (SPEC §2.8): relance speaks to a *customer*, not to each of its invoices.

Pure: the planner hands it one customer's actions of the day and the messages that customer already
received; it answers which actions go, with which channel and tone, and which wait for a later run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
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


class Candidate(NamedTuple):
    """One action the planner found due for the customer today, before the policy."""

    invoice: str
    step: str
    channel: str
    tone: str | None
    overdue: bool  # D > the invoice's due date
    due_date: date


class Decision(NamedTuple):
    """What becomes of one candidate: its channel and tone, or why it waits (``deferred``, None when it goes)."""

    candidate: Candidate
    channel: str
    tone: str | None
    deferred: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerDay:
    """What the policy needs to know of a customer on run date D."""

    limits: ContactLimits
    received: frozenset[SentMessage]  # distinct (date, channel, tone) over all its invoices, litigation apart
    in_litigation: bool  # one of its invoices has status litigation


def strength(channel: str, tone: str | None, tones: Sequence[str]) -> tuple[int, int, int]:
    """How strongly a message speaks: a registered letter first, then the tone, then the channel."""
    rank = tones.index(tone) if tone in tones else -1
    return (channel == REGISTERED_LETTER, rank, CHANNEL_STRENGTH.get(channel, -1))


def tone_floor(day: CustomerDay, on: date, tones: Sequence[str]) -> int:
    """Rank of the mildest tone the customer may now get: the strongest it received over the floor's days (the
    strongest allowed when one of its invoices is in litigation), never the formal notice's own tone."""
    cap = max(len(tones) - 2, 0)
    if day.in_litigation:
        return cap
    start = on - timedelta(days=day.limits.tone_floor_days)
    ranks = [tones.index(m.tone) for m in day.received if start <= m.date < on and m.tone in tones]
    return min(max(ranks, default=-1), cap)


def allowed_messages(day: CustomerDay, on: date) -> int:
    """How many messages the customer may still receive on D: the day's cap and the window's, whichever is less."""
    limits = day.limits
    today = sum(1 for m in day.received if m.date == on)
    start = on - timedelta(days=limits.window_days)
    in_window = sum(1 for m in day.received if start <= m.date < on)
    return min(limits.max_messages_per_day - today, limits.max_messages_in_window - in_window)


def decide(candidates: Sequence[Candidate], day: CustomerDay, on: date, tones: Sequence[str]) -> list[Decision]:
    """SPEC §2.8 for one customer on D: window, then tone floor, then merging. Litigation passes untouched."""
    out = [Decision(c, c.channel, c.tone) for c in candidates if c.channel == LITIGATION]
    messages = [c for c in candidates if c.channel != LITIGATION]
    if not messages:
        return out
    allowed = allowed_messages(day, on)
    if allowed <= 0:
        return out + [Decision(c, c.channel, c.tone, REASON_CONTACT_LIMIT) for c in messages]
    overdue = [c for c in messages if c.overdue]
    if overdue and len(overdue) < len(messages):
        out.extend(Decision(c, c.channel, c.tone, REASON_NOT_YET_DUE) for c in messages if not c.overdue)
        messages = overdue
    floor = tone_floor(day, on, tones) if overdue else -1
    toned = [(c, _raised(c.tone, floor, tones) if c.overdue else c.tone) for c in messages]
    groups: dict[tuple[str, str | None], list[Candidate]] = {}
    for candidate, tone in toned:
        groups.setdefault((candidate.channel, tone), []).append(candidate)
    ordered = sorted(groups, key=lambda g: strength(g[0], g[1], tones), reverse=True)
    if len(ordered) <= allowed:
        kept, merged = ordered, []
    else:
        kept, merged = ordered[:allowed - 1], ordered[allowed - 1:]
    for channel, tone in kept:
        out.extend(Decision(c, channel, tone) for c in groups[(channel, tone)])
    if merged:
        channel, tone = merged[0]  # the strongest of the rest: a registered letter takes the others in
        out.extend(Decision(c, channel, tone) for group in merged for c in groups[group])
    return out


def _raised(tone: str | None, floor: int, tones: Sequence[str]) -> str | None:
    if floor < 0 or tone not in tones or tones.index(tone) >= floor:
        return tone
    return tones[floor]


def message_template_action(actions: Iterable[tuple[date, str]]) -> tuple[date, str]:
    """Of a merged message's (due date, invoice) pairs, the one whose template speaks: earliest due, then smallest
    id (SPEC §2.8)."""
    return min(actions)
