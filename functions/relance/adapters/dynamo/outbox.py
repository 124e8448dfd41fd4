"""The outbox and the messages' side records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from ...ports import ActionRecord
from .items import (
    _action_from_item,
    _event_item,
    _s,
    is_conditional_failure,
    now_utc,
    outbox_key,
)
from .table import Table


class OutboxTable(Table):
    """The outbox: actions recorded by a run and not yet queued (``OUTBOX#<shard>``), and what a queued
    message needs in the store (``MSGACTIONS#``)."""

    def record_action(self, action: ActionRecord, read_version: int) -> bool:
        pk = _s(f"INV#{action.invoice}")
        day = action.run_date.isoformat()
        at = now_utc()
        step_entry = {"M": {"step": _s(action.step), "date": _s(day), "channel": _s(action.channel),
                            **({"tone": _s(action.tone)} if action.tone else {})}}
        details = {"run_date": _s(day), "customer": _s(action.customer), "segment": _s(action.segment),
                   "scenario": _s(action.scenario), "step": _s(action.step), "channel": _s(action.channel),
                   "tone": _s(action.tone or ""), "rules_digest": _s(action.rules_digest),
                   "shard": {"N": str(action.shard)}, "invoice": _s(action.invoice)}
        return self._transact_once([
            {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": pk, "sk": _s(f"ACT#{action.step}"), "type": _s("action"),
                              "recorded_at": _s(at), **details}}},
            {"Update": {"TableName": self.table, "Key": {"pk": pk, "sk": _s("STATE")},
                        # open — or a portal dispute whose pause ended before the run's day (its dispute_until,
                        # an ISO date, compares as text; domain.model.disputed_on)
                        "ConditionExpression": "version = :v AND (#st = :open OR (#st = :disputed AND "
                                               "dispute_until < :day)) AND attribute_exists(open_shard)",
                        "UpdateExpression": "SET steps = list_append(if_not_exists(steps, :empty), :entry), "
                                            "last_action_on = :day, #pos = :step, version = version + :one",
                        "ExpressionAttributeNames": {"#st": "status", "#pos": "position"},
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(read_version)}, ":open": _s("open"), ":disputed": _s("disputed"),
                            ":empty": {"L": []}, ":entry": {"L": [step_entry]}, ":day": _s(day),
                            ":step": _s(action.step), ":one": {"N": "1"}}}},
            {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": pk, "sk": _s(f"EVT#{at}#action_planned#{action.step}"),
                              "type": _s("event"), "kind": _s("action_planned"), "at": _s(at),
                              "date": _s(day), **details}}},
            {"Put": {"TableName": self.table,
                     "Item": {"pk": _s(f"OUTBOX#{action.shard}"), "sk": _s(outbox_key(action)),
                              "type": _s("outbox"), "recorded_at": _s(at), **details}}},
        ])

    def pending_outbox(self, shard: int, *, with_cancelled: bool = False) -> list[ActionRecord]:
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": "pk = :p",
                                  "ExpressionAttributeValues": {":p": _s(f"OUTBOX#{shard}")}, "ConsistentRead": True}
        out: list[ActionRecord] = []
        while True:
            page = self.client.query(**kwargs)
            out.extend(_action_from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out if with_cancelled else [a for a in out if not a.cancelled]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def clear_outbox(self, actions: Sequence[ActionRecord]) -> None:
        requests = [{"DeleteRequest": {"Key": {"pk": _s(f"OUTBOX#{a.shard}"), "sk": _s(outbox_key(a))}}}
                    for a in actions]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start:start + 25]}
            while pending:
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    def put_message_actions(self, key: str, actions: Sequence[dict[str, str]]) -> None:
        """The actions of a message sent by reference (a side record, in parts past DynamoDB's 400 KB item).

        Written before the message is queued; the same key always holds the same actions, so a rerun
        writes the same record again."""
        self._put_record(f"MSGACTIONS#{key}", "ACTIONS", {"type": "message_actions", "actions": list(actions)})

    def message_actions(self, key: str) -> list[dict[str, str]]:
        found = self._records(f"MSGACTIONS#{key}", "ACTIONS")
        return list(found[0]["actions"]) if found else []

    def cancel_pending(self, invoice_id: str, shard: int, reason: str) -> int:
        """Cancel the invoice's actions recorded but not yet queued (the senders re-check what was queued).

        Each is marked cancelled with its history event in one transaction, and the next flush drops it: marked,
        not deleted, because the payment webhook that calls this may delete nothing (least privilege)."""
        cancelled = 0
        for action in (a for a in self.pending_outbox(shard) if a.invoice == invoice_id):
            event = _event_item({"invoice": action.invoice, "kind": "action_cancelled",
                                 "date": action.run_date.isoformat(), "step": action.step, "channel": action.channel,
                                 "reason": reason}, 0)
            try:
                self.client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": self.table,
                                "Key": {"pk": _s(f"OUTBOX#{action.shard}"), "sk": _s(outbox_key(action))},
                                "UpdateExpression": "SET cancelled = :why",
                                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(cancelled)",
                                "ExpressionAttributeValues": {":why": _s(reason)}}},
                    {"Put": {"TableName": self.table, "Item": event}}])
            except ClientError as err:
                if is_conditional_failure(err):
                    continue  # queued (and cleared) or cancelled meanwhile
                raise
            cancelled += 1
        return cancelled


    # -- litigation steps parked until their formal notice's deadline ----------------------------------
    def park(self, ready_on: date, key: str, fields: dict[str, Any]) -> None:
        """Keep a message until ``ready_on`` (``PARKED``, sorted by that day)."""
        self._put_record(PARKED, f"{ready_on.isoformat()}#{key}", fields)

    def parked_until(self, day: date) -> list[tuple[str, dict[str, Any]]]:
        """(id, fields) of the parked messages whose day is ``day`` or earlier, in the order of their day."""
        return self._records_through(PARKED, f"{day.isoformat()}#\uffff")

    def unpark(self, parked_id: str) -> None:
        self._delete_record(PARKED, parked_id)


PARKED = "PARKED"
