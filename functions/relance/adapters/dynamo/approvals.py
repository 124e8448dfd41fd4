"""Actions awaiting a person's approval (``approval: required`` on a step; ``app.approvals``).

The invoice item carries where its approval stands (``approval``: step, state, requested_on, decided_on, by), which
the planner reads with the invoice; ``APPROVALS`` lists the requests still awaiting an answer (sort key
``<invoice>#<step>``), which the account managers' digest reads. A request, an approval, a hold and a timeout are
each one transaction with the history event, so a decision taken twice is recorded once.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from ...ports import ActionRecord
from .items import _json_attr, _s, now_utc
from .table import Table

AWAITING = "APPROVALS"
DECIDED_KEPT_S = 30 * 86400


def approval_attribute(step: str, state: str, requested_on: str, decided_on: str = "", by: str = "",
                       channel: str = "", scenario: str = "") -> dict[str, Any]:
    """The invoice's ``approval`` map (read back by ``items.invoice_from_item``)."""
    fields = {"step": _s(step), "state": _s(state), "requested_on": _s(requested_on)}
    if channel:
        fields["channel"] = _s(channel)
    if scenario:
        fields["scenario"] = _s(scenario)
    if decided_on:
        fields["decided_on"] = _s(decided_on)
    if by:
        fields["by"] = _s(by)
    return {"M": fields}


class ApprovalTable(Table):
    def request_approval(self, action: ActionRecord, read_version: int) -> bool:
        pk = _s(f"INV#{action.invoice}")
        day = action.run_date.isoformat()
        at = now_utc()
        details = {"run_date": day, "customer": action.customer, "segment": action.segment,
                   "scenario": action.scenario, "step": action.step, "channel": action.channel,
                   "tone": action.tone or "", "rules_digest": action.rules_digest, "shard": str(action.shard),
                   "invoice": action.invoice}
        return self._transact_once([
            {"Update": {"TableName": self.table, "Key": {"pk": pk, "sk": _s("STATE")},
                        "ConditionExpression": "version = :v AND #st = :open AND attribute_exists(open_shard) "
                                               "AND (attribute_not_exists(approval) OR approval.step <> :step)",
                        "UpdateExpression": "SET approval = :approval, version = version + :one",
                        "ExpressionAttributeNames": {"#st": "status"},
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(read_version)}, ":open": _s("open"), ":step": _s(action.step),
                            ":approval": approval_attribute(action.step, "pending", day,
                                                                  channel=action.channel,
                                                                  scenario=action.scenario), ":one": {"N": "1"}}}},
            {"Put": {"TableName": self.table,
                     "Item": {"pk": pk, "sk": _s(f"EVT#{at}#approval_requested#{action.step}"), "type": _s("event"),
                              "kind": _s("approval_requested"), "at": _s(at), "date": _s(day),
                              **{k: _s(v) for k, v in details.items() if v}}}},
            {"Put": {"TableName": self.table,
                     "Item": {"pk": _s(AWAITING), "sk": _s(f"{action.invoice}#{action.step}"), "type": _s("approval"),
                              "payload": _json_attr({**details, "requested_on": day})}}},
        ])

    def decide_approval(self, invoice_id: str, step: str, *, state: str, kind: str, on: date, by: str,
                        from_states: tuple[str, ...], details: dict[str, str] | None = None) -> bool:
        pk = _s(f"INV#{invoice_id}")
        at = now_utc()
        values: dict[str, Any] = {":step": _s(step), ":state": _s(state), ":on": _s(on.isoformat()), ":by": _s(by),
                                  ":one": {"N": "1"}}
        values.update({f":f{i}": _s(s) for i, s in enumerate(from_states)})
        allowed = ", ".join(f":f{i}" for i in range(len(from_states)))
        event = {"pk": pk, "sk": _s(f"EVT#{at}#{kind}#{step}"), "type": _s("event"), "kind": _s(kind), "at": _s(at),
                 "date": _s(on.isoformat()), "invoice": _s(invoice_id), "step": _s(step), "by": _s(by),
                 "channel": _s("people"), **{k: _s(v) for k, v in (details or {}).items() if v}}
        return self._transact_once([
            {"Update": {"TableName": self.table, "Key": {"pk": pk, "sk": _s("STATE")},
                        "ConditionExpression": f"approval.step = :step AND approval.#state IN ({allowed})",
                        "UpdateExpression": "SET approval.#state = :state, approval.decided_on = :on, "
                                            "approval.#by = :by, version = version + :one",
                        "ExpressionAttributeNames": {"#state": "state", "#by": "by"},
                        "ExpressionAttributeValues": values}},
            {"Put": {"TableName": self.table, "Item": event}},
            # Marked decided, never deleted: the staff pages face the internet and hold no DeleteItem (they cannot
            # erase); the mark expires with the table's TTL a month later.
            {"Update": {"TableName": self.table, "Key": {"pk": _s(AWAITING), "sk": _s(f"{invoice_id}#{step}")},
                        "UpdateExpression": "SET payload = :decided, expiration = :expires",
                        "ExpressionAttributeValues": {
                            ":decided": _s(json.dumps({"decided": state, "invoice": invoice_id, "step": step})),
                            ":expires": {"N": str(int(time.time()) + DECIDED_KEPT_S)}}}},
        ])

    def awaiting_approvals(self) -> list[dict[str, Any]]:
        return [record for record in self._records(AWAITING) if not record.get("decided")]
