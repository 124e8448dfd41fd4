"""The queued messages, said once: what a channel message's SQS body holds, how it is read back, and how a
message moves to the letter channel; the evaluation jobs' body too.

A channel message lists its actions inline up to :data:`INLINE_ACTIONS_MAX_BYTES`; a customer with thousands
of invoices gets a message *by reference*: its actions are written to the store first, under the message key,
and the channel reads them back (:meth:`ChannelMessage.from_body`). Every message therefore stays far below
SQS's per-message limit, and below DynamoDB's 400 KB item when a channel keeps its body on a record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..ports import ActionRecord, MessageActions, MessageQueue

# The historical SQS limit for one message (queues created before 2025 may still enforce it) is 256 KiB; the
# body is also kept, JSON in JSON, on DynamoDB records of 400 KB at most: half of it leaves room for both.
INLINE_ACTIONS_MAX_BYTES = 128 * 1024
# The statement of account a message carries: the customer's other open invoices the evaluator saw, by id, at
# most this many (the most overdue first). The channel reads them again before it renders, so one settled since
# is not listed; a customer with more than this many others sees the first ones.
STATEMENT_MAX = 100


class MalformedMessage(ValueError):
    """A queued body that is not one of ours: it cannot be retried into shape."""


class RerouteRefused(RuntimeError):
    """The letter queue did not take a message moved to it: fail, so that the move is tried again."""


@dataclass(frozen=True, slots=True)
class MessageAction:
    invoice: str
    step: str
    segment: str
    scenario: str


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    key: str
    run_date: date
    customer: str
    channel: str
    tone: str | None
    actions: tuple[MessageAction, ...]
    rules_digest: str = ""
    rerouted_from: str = ""
    resumes: str = ""  # the key of the message this one takes up again after waiting (a parked litigation step)
    # A customer with thousands of invoices: the actions are kept in the store under this key, not in the body.
    actions_ref: str = ""
    # The customer's other open invoices when the message was queued (ids): its statement of account.
    statement: tuple[str, ...] = ()

    @classmethod
    def of_actions(cls, actions: Sequence[ActionRecord], *, by_reference: bool = False,
                   statement: Sequence[str] = ()) -> ChannelMessage:
        """The message of one group of recorded actions (same run, customer, channel and tone); ``statement``:
        the ids of the customer's open invoices, those of the message left out here."""
        first = actions[0]
        key = message_key(actions)
        own = {a.invoice for a in actions}
        return cls(key, first.run_date, first.customer, first.channel, first.tone,
                   tuple(MessageAction(a["invoice"], a["step"], a["segment"], a["scenario"])
                         for a in action_fields(actions)),
                   first.rules_digest, actions_ref=key if by_reference else "",
                   statement=tuple(i for i in statement if i not in own)[:STATEMENT_MAX])

    @classmethod
    def from_body(cls, body: str, store: MessageActions | None = None) -> ChannelMessage:
        """Parse a queued or recorded body; one sent by reference reads its actions from ``store``."""
        try:
            raw = json.loads(body)
            ref = str(raw.get("actions_ref", ""))
            if ref:
                if store is None:
                    raise MalformedMessage("a message by reference needs the store to read its actions")
                listed = store.message_actions(ref)
                if not listed:
                    raise MalformedMessage(f"the actions of message {ref} are not in the store")
            else:
                listed = raw["actions"]
            return cls(key=str(raw["key"]), run_date=date.fromisoformat(raw["run_date"]),
                       customer=str(raw["customer"]), channel=str(raw["channel"]), tone=raw.get("tone") or None,
                       actions=tuple(MessageAction(str(a["invoice"]), str(a["step"]), str(a.get("segment", "")),
                                                   str(a["scenario"])) for a in listed),
                       rules_digest=str(raw.get("rules_digest", "")), rerouted_from=str(raw.get("rerouted_from", "")),
                       resumes=str(raw.get("resumes", "")), actions_ref=ref,
                       statement=tuple(str(i) for i in raw.get("statement", ())))
        except MalformedMessage:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise MalformedMessage(f"not a relance message: {type(err).__name__}") from None

    def body(self) -> str:
        listed: dict[str, Any] = (
            {"actions_ref": self.actions_ref, "action_count": len(self.actions)} if self.actions_ref else
            {"actions": [{"invoice": a.invoice, "step": a.step, "segment": a.segment, "scenario": a.scenario}
                         for a in self.actions]})
        return json.dumps({"key": self.key, "run_date": self.run_date.isoformat(), "customer": self.customer,
                           "channel": self.channel, "tone": self.tone, "rules_digest": self.rules_digest,
                           **({"rerouted_from": self.rerouted_from} if self.rerouted_from else {}),
                           **({"resumes": self.resumes} if self.resumes else {}),
                           **({"statement": list(self.statement)} if self.statement else {}), **listed},
                          ensure_ascii=False)

    def rerouted(self, channel: str) -> ChannelMessage:
        return ChannelMessage(f"{self.key}-{channel}", self.run_date, self.customer, channel, self.tone, self.actions,
                              self.rules_digest, rerouted_from=self.channel, actions_ref=self.actions_ref,
                              statement=self.statement)


def message_key(actions: Sequence[ActionRecord]) -> str:
    """Deterministic id of a message: the same actions always give the same key (downstream dedup)."""
    first = actions[0]
    parts = [*first.group, *sorted(f"{a.invoice}:{a.step}" for a in actions)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def action_fields(actions: Sequence[ActionRecord]) -> list[dict[str, str]]:
    return [{"invoice": a.invoice, "step": a.step, "segment": a.segment, "scenario": a.scenario}
            for a in sorted(actions, key=lambda a: a.invoice)]


def reroute_to_letter(queue: MessageQueue, message: ChannelMessage) -> ChannelMessage:
    """Queue ``message`` again on the letter channel (no e-mail address, SES refused it, a bounce); the moved
    message, whose key is new to the letter queue's idempotency. Raises :class:`RerouteRefused`."""
    moved = message.rerouted("letter")
    if moved.key not in queue.send("letter", [(moved.key, moved.body())]):
        raise RerouteRefused(f"the letter queue refused message {moved.key}")
    return moved


# -- the evaluation jobs -----------------------------------------------------------------------------------------
def shard_jobs(run_date: date, shards: int) -> list[tuple[str, str]]:
    """(id, body) of the evaluation jobs for one run: one per shard."""
    return [(f"shard-{n}", json.dumps({"run_date": run_date.isoformat(), "shard": n})) for n in range(shards)]


def read_shard_job(body: str) -> tuple[date, int]:
    """The run date and the shard of an evaluation job's body."""
    job = json.loads(body)
    return date.fromisoformat(job["run_date"]), int(job["shard"])
