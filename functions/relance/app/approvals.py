"""Approval before a step (``approval: required``): what a person decides, what the forgetful get, and what awaits.

The use cases, for the command line, the staff pages and the digest:

- :func:`request_approvals` — the evaluator's: the day's actions whose step requires approval are recorded as
  awaiting (``approval_requested``), never queued; nothing goes out for that invoice until a decision.
- :func:`approve` — ``approve(store, invoice_id, step, by=…, on=…)``: the action goes out **on the next run** of
  the evaluator, which plans it as any action due that day (contact policy included) — so an invoice paid,
  disputed or under a promise meanwhile gets nothing, and it is recorded once (``approved``, by whom, when).
- :func:`hold` — ``hold(store, invoice_id, step, by=…, on=…)``: it does not go out, and the invoice is paused
  (planner reason ``paused: held``) until a person approves it after all: an account manager who holds a formal
  notice is dealing with the customer himself, so no milder reminder should go out behind his back either.
- :func:`apply_timeouts` — the evaluator's, before planning: a request still awaiting ``approval_timeout_days``
  after it was made takes its step's ``then`` (``approval_timeout`` on the history, with ``then`` and by
  ``relance``): ``send`` approves it (it goes out that very run), ``hold`` holds it.
- :func:`awaiting_for` — what awaits an answer, by account manager: the digest lists each with a preview.

A decision is one store transaction guarded by the current state, so the same click twice, or an approval racing
a timeout, is recorded once (:class:`Decision` says what happened).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..domain.approval import APPROVED, HELD, PENDING, THEN_SEND, TIMEOUT_BY, timed_out
from ..domain.labels import step_label
from ..domain.model import Book, Customer, Invoice
from ..domain.policy import Rules, Step
from ..domain.terms import Channel, EventKind
from ..ports import ActionRecord, Approvals, ApprovalStore

# What a decision did: recorded, or why not.
DONE = "done"
ALREADY = "already decided"  # the same decision was taken before (a second click)
NOT_AWAITING = "not awaiting"  # nothing awaits approval for this invoice and step
UNKNOWN_INVOICE = "unknown invoice"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # DONE, ALREADY, NOT_AWAITING, UNKNOWN_INVOICE
    state: str = ""  # the approval's state afterwards (approved, held), when there is one

    @property
    def done(self) -> bool:
        return self.outcome == DONE


@dataclass(frozen=True, slots=True)
class Awaiting:
    """One action awaiting approval, as the digest and the staff pages show it."""

    invoice: str
    customer: str
    step: str
    channel: str
    tone: str | None
    scenario: str
    requested_on: date
    account_manager: str
    deadline: date | None = None  # the day the step's timeout applies, ``None``: it waits for a person
    then: str = ""  # what the timeout does then: send or hold

    @property
    def command(self) -> str:
        """The command that approves it, for whoever has a terminal (the staff pages' links come with them)."""
        return f"relance invoice approve {self.invoice} --step {self.step}"


def _decide(store: ApprovalStore, invoice_id: str, step: str, *, state: str, kind: str, on: date, by: str,
            from_states: tuple[str, ...], details: dict[str, str] | None = None) -> Decision:
    found = store.invoice(invoice_id)
    if found is None:
        return Decision(UNKNOWN_INVOICE)
    approval = found[0].approval
    if approval is None or approval.step != step:
        return Decision(NOT_AWAITING)
    if approval.state == state:
        return Decision(ALREADY, state)
    if approval.state not in from_states:
        return Decision(NOT_AWAITING, approval.state)
    details = {"note": f"{what(approval.channel)} ; par {by}", **(details or {})}
    if store.decide_approval(invoice_id, step, state=state, kind=kind, on=on, by=by, from_states=from_states,
                             details=details):
        return Decision(DONE, state)
    again = store.invoice(invoice_id)  # decided meanwhile (a timeout, another click): say what holds now
    now = again[0].approval if again else None
    if now is not None and now.step == step and now.state == state:
        return Decision(ALREADY, state)
    return Decision(NOT_AWAITING, now.state if now is not None and now.step == step else "")


def what(channel: str) -> str:
    """The action a decision is about, as the history tells it: « Mise en demeure en recommandé AR »."""
    if not channel:
        return "Envoi"
    text = step_label(channel, None, formal_notice=channel == Channel.REGISTERED_LETTER)
    return text[:1].upper() + text[1:]


def approve(store: ApprovalStore, invoice_id: str, step: str, *, by: str, on: date) -> Decision:
    """A person approves the action awaiting for ``step``: it goes out on the next run (``approved`` on the
    history, with who and when). A held action may be approved after all."""
    return _decide(store, invoice_id, step, state=APPROVED, kind=EventKind.APPROVED, on=on, by=by,
                   from_states=(PENDING, HELD))


def hold(store: ApprovalStore, invoice_id: str, step: str, *, by: str, on: date) -> Decision:
    """A person holds the action awaiting for ``step``: it does not go out and the invoice is paused until that
    person (or another) approves it (``held`` on the history, with who and when)."""
    return _decide(store, invoice_id, step, state=HELD, kind=EventKind.HELD, on=on, by=by, from_states=(PENDING,))


def step_of(rules: Rules, scenario: str, step_id: str) -> Step | None:
    found = rules.scenarios.get(scenario)
    return next((s for s in found.steps if s.id == step_id), None) if found else None


def _scenario_of(rules: Rules, step_id: str, hint: str = "") -> Step | None:
    """The step ``step_id`` of scenario ``hint``, else the first scenario that has one (an invoice's approval
    names its step, not its scenario: the planner's segment choice gives that)."""
    if hint:
        found = step_of(rules, hint, step_id)
        if found is not None:
            return found
    for scenario in rules.scenarios.values():
        for step in scenario.steps:
            if step.id == step_id and step.approval is not None:
                return step
    return None


def apply_timeouts(store: Approvals, rules: Rules, book: Book, on: date) -> int:
    """Give each request of ``book`` that waited its step's ``approval_timeout_days`` the step's ``then``; the
    number decided."""
    decided = 0
    for invoice in book.invoices:
        approval = invoice.approval
        if approval is None or approval.state != PENDING:
            continue
        step = _scenario_of(rules, approval.step, approval.scenario)
        then = timed_out(approval, step.approval if step else None, on)
        if then is None:
            continue
        state = APPROVED if then == THEN_SEND else HELD
        days = step.approval.timeout_days if step is not None and step.approval is not None else None
        outcome = "l’envoi part" if then == THEN_SEND else "l’envoi est retenu"
        note = f"{what(approval.channel)} ; sans réponse {days} jours après la demande, {outcome}"
        if store.decide_approval(invoice.id, approval.step, state=state, kind=EventKind.APPROVAL_TIMEOUT, on=on,
                                 by=TIMEOUT_BY, from_states=(PENDING,), details={"then": then, "note": note}):
            decided += 1
    return decided


def request_approvals(store: Approvals, actions: Sequence[ActionRecord],
                      versions: dict[str, int]) -> int:
    """Record each action as awaiting approval (once per invoice and step); the number newly asked for."""
    return sum(store.request_approval(a, versions.get(a.invoice, 0)) for a in actions)


def awaiting_for(store: ApprovalStore, rules: Rules, on: date,
                 manager: str | None = None) -> dict[str, list[tuple[Awaiting, Customer, list[Invoice]]]]:
    """What awaits approval, by account manager (the company's address for a customer without one), each with
    its customer and its invoice as read now; a request whose invoice was settled or decided meanwhile is left
    out (it waits for nothing). ``manager``: only that one's."""
    requests = store.awaiting_approvals()
    fresh = store.invoices([str(r["invoice"]) for r in requests])
    customers: dict[str, Customer | None] = {}
    out: dict[str, list[tuple[Awaiting, Customer, list[Invoice]]]] = defaultdict(list)
    for request in requests:
        invoice = fresh.get(str(request["invoice"]))
        if not isinstance(invoice, Invoice):
            continue
        approval = invoice.approval
        if (approval is None or approval.step != request["step"] or approval.state != PENDING
                or invoice.is_settled_on(on)):
            continue
        customer_id = str(request["customer"])
        if customer_id not in customers:
            customers[customer_id] = store.customer(customer_id)
        customer = customers[customer_id]
        if customer is None:
            continue
        who = customer.account_manager or rules.company.email
        if manager is not None and who != manager:
            continue
        step = step_of(rules, str(request.get("scenario", "")), approval.step)
        rule = step.approval if step is not None else None
        out[who].append((Awaiting(invoice=invoice.id, customer=customer_id, step=approval.step,
                                  channel=str(request.get("channel", "")), tone=str(request.get("tone") or "") or None,
                                  scenario=str(request.get("scenario", "")), requested_on=approval.requested_on,
                                  account_manager=who, deadline=rule.deadline(approval.requested_on) if rule else None,
                                  then=rule.then if rule and rule.timeout_days is not None else ""),
                         customer, [invoice]))
    for listed in out.values():
        listed.sort(key=lambda entry: (entry[0].requested_on, entry[0].invoice))
    return dict(out)
