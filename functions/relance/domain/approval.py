"""Approval before a step (``approval: required`` on a step): what the rules ask, where an invoice stands, and
what a day decides. Pure: the day is an argument.

An action whose step requires approval is not sent when the planner reaches it: the evaluator records it as
awaiting approval (``approval_requested``) and the invoice waits — skipped with reason ``awaiting approval`` —
until a person approves it (it goes out on the next run, as any action planned that day) or holds it (the invoice
is paused, reason ``paused: held``, until a person approves it after all). With ``approval_timeout_days``, an
action still awaiting after that many days gets the step's ``then``: ``send`` (approved by the timeout) or
``hold``. ``relance plan`` lists such an action among its actions with ``"approval": "required"`` but in no message
(nothing goes out that day); ``relance simulate`` shows what relance does by itself when nobody answers: the action
goes after its timeout with ``then: send`` (marked ``"approval": "required"``), never otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

PENDING: Final = "pending"
APPROVED: Final = "approved"
HELD: Final = "held"
STATES: Final = (PENDING, APPROVED, HELD)

THEN_SEND: Final = "send"
THEN_HOLD: Final = "hold"
THEN_CHOICES: Final = (THEN_SEND, THEN_HOLD)

REASON_AWAITING: Final = "awaiting approval"
REASON_HELD: Final = "paused: held"
TIMEOUT_BY: Final = "relance"  # who decided when the timeout did


@dataclass(frozen=True, slots=True)
class StepApproval:
    """What a step's rules ask: a person's approval, and what happens without an answer after ``timeout_days``
    (``None``: the action waits for a person however long it takes)."""

    timeout_days: int | None = None
    then: str = THEN_HOLD

    def deadline(self, requested_on: date) -> date | None:
        """The day the timeout applies: ``timeout_days`` after the request."""
        return None if self.timeout_days is None else requested_on + timedelta(days=self.timeout_days)


@dataclass(frozen=True, slots=True)
class ApprovalState:
    """Where an invoice's approval stands: for which step, asked when, and decided how (by whom, when)."""

    step: str
    state: str  # PENDING, APPROVED or HELD
    requested_on: date
    decided_on: date | None = None
    by: str = ""
    channel: str = ""  # the step's channel when it was asked for: what the decision is about (« mise en demeure »)
    scenario: str = ""  # the scenario it was asked in: whose step's timeout applies


def effective_state(approval: ApprovalState, rule: StepApproval | None, on: date) -> str:
    """The state that holds on ``on``: a pending approval past its step's timeout takes the step's ``then``
    (``APPROVED`` for ``send``, ``HELD`` for ``hold``); otherwise the recorded state. ``rule`` is the step's
    ``approval`` in the current rules (``None``: the step no longer asks for it, so nothing waits)."""
    if approval.state != PENDING:
        return approval.state
    if rule is None:
        return APPROVED
    deadline = rule.deadline(approval.requested_on)
    if deadline is not None and on >= deadline:
        return APPROVED if rule.then == THEN_SEND else HELD
    return PENDING


def timed_out(approval: ApprovalState, rule: StepApproval | None, on: date) -> str | None:
    """The ``then`` a pending approval takes on ``on`` because its timeout has passed, or ``None``."""
    if approval.state != PENDING or rule is None:
        return None
    deadline = rule.deadline(approval.requested_on)
    if deadline is None or on < deadline:
        return None
    return rule.then
