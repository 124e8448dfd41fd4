"""What the account manager's digest says of each action awaiting approval (``app.approvals``): the action, the
invoice, the deadline its timeout gives, a preview — the e-mail's or letter's text as it will go (a letter's PDF
attached), the injonction's sums — and how to decide: the staff pages' links when a ``links`` callable is given
(branch staff's signed links plug in here), else the commands.

Apart from ``app.approvals`` so that the evaluator, which asks for approvals, does not import the rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.labels import step_label
from ..domain.model import Customer, Invoice
from ..domain.policy import Rules
from ..domain.render import RenderFailed, TemplateMissing, render_message
from ..domain.terms import TEMPLATED_CHANNELS, Channel
from ..ports import ApprovalStore
from .approvals import Awaiting, awaiting_for, step_of

# (approve URL, hold URL) of one action awaiting approval: the staff pages' one-click links.
ApprovalLinks = Callable[[Awaiting], tuple[str, str]]
# A letter as its PDF, for the preview (``letters.pdf.render_letter_pdf`` once laid out): ``None``, no PDF.
LetterPdf = Callable[[Rules, Customer, list[Invoice], Awaiting, Any, date], bytes]


@dataclass(slots=True)
class Preview:
    """One awaiting action as the digest shows it (the template ``appels.fr.txt.j2`` reads these fields)."""

    awaiting: Awaiting
    customer_name: str
    what: str  # « mise en demeure en recommandé AR »
    total: Decimal
    invoices: list[dict[str, Any]]
    subject: str = ""
    text: str = ""  # the message as the debtor will read it (without the portal link it gets when it goes)
    problem: str = ""  # why no preview could be written (no template…)
    approve_url: str = ""
    hold_url: str = ""
    attachment: tuple[str, bytes] | None = field(default=None, repr=False)

    def as_context(self) -> dict[str, Any]:
        a = self.awaiting
        return {"invoice": a.invoice, "customer": a.customer, "customer_name": self.customer_name, "step": a.step,
                "what": self.what, "total": self.total, "invoices": self.invoices, "requested_on": a.requested_on,
                "deadline": a.deadline, "then": a.then, "subject": self.subject, "text": self.text,
                "problem": self.problem, "approve_url": self.approve_url, "hold_url": self.hold_url,
                "attachment": self.attachment[0] if self.attachment else "",
                "approve_command": a.command, "hold_command": a.command.replace(" approve ", " hold ", 1)}


def previews(store: ApprovalStore, rules: Rules, day: date, *, links: ApprovalLinks | None = None,
             letter_pdf: LetterPdf | None = None) -> dict[str, list[Preview]]:
    """Each account manager's actions awaiting approval on ``day``, with their preview."""
    out: dict[str, list[Preview]] = {}
    for manager, listed in awaiting_for(store, rules, day).items():
        out[manager] = [_preview(rules, awaiting, customer, invoices, day, links, letter_pdf)
                        for awaiting, customer, invoices in listed]
    return out


def _preview(rules: Rules, awaiting: Awaiting, customer: Customer, invoices: list[Invoice], day: date,
             links: ApprovalLinks | None, letter_pdf: LetterPdf | None) -> Preview:
    step = step_of(rules, awaiting.scenario, awaiting.step)
    channel = awaiting.channel or (step.channel if step else "")
    what = step_label(channel, awaiting.tone, step.at if step else None,
                      formal_notice=channel == Channel.REGISTERED_LETTER)
    preview = Preview(awaiting, customer.name, what, sum((i.amount_due for i in invoices), Decimal(0)),
                      [{"id": i.id, "due_date": i.due_date, "amount_due": i.amount_due,
                        "days_late": (day - i.due_date).days} for i in invoices])
    if links is not None:
        preview.approve_url, preview.hold_url = links(awaiting)
    if channel not in TEMPLATED_CHANNELS or step is None:
        return preview  # the injonction: the dossier is built once approved; the digest gives its sums
    try:
        rendered = render_message(rules, customer=customer, invoices=invoices, channel=channel, tone=awaiting.tone,
                                  step_id=step.id, at=step.at_label, template=step.template, today=day)
    except (TemplateMissing, RenderFailed) as err:
        preview.problem = str(err)
        return preview
    preview.subject, preview.text = rendered.subject, rendered.body
    if letter_pdf is not None and channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
        pdf = letter_pdf(rules, customer, invoices, awaiting, rendered, day)
        preview.attachment = (f"apercu-{awaiting.step.replace('_', '-')}-{awaiting.invoice}.pdf", pdf)
    return preview


def letter_preview_pdf(rules: Rules, customer: Customer, invoices: list[Invoice], awaiting: Awaiting,
                       rendered: Any, day: date) -> bytes:
    """The letter as the postal provider would print it today (fpdf2: the digest function carries the PDF layer)."""
    from ..letters.pdf import render_letter_pdf
    from .deliver import ReadyMessage, letter_document
    from .messages import ChannelMessage, MessageAction

    message = ChannelMessage(f"apercu-{awaiting.invoice}-{awaiting.step}", day, customer.id, awaiting.channel,
                             awaiting.tone, (MessageAction(awaiting.invoice, awaiting.step, awaiting.scenario,
                                                           awaiting.scenario),))
    step = step_of(rules, awaiting.scenario, awaiting.step)
    assert step is not None
    ready = ReadyMessage(message, customer, invoices, step, rendered)
    return render_letter_pdf(letter_document(rules, ready, awaiting.channel == Channel.REGISTERED_LETTER, day))
