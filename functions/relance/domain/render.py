"""What a debtor reads: template choice, the variables a template sees, and the sandboxed Jinja2 engine.

Templates are written by rule editors, not developers: they run in Jinja2's ``ImmutableSandboxedEnvironment``
with ``StrictUndefined``, so they cannot reach Python internals and a misspelt variable is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, pass_context
from jinja2.runtime import Context

from .fmt import days, is_french, longdate_in, money_in, percent_in, phone_in, shortdate_in
from .mentions import identity_text
from .model import Customer, Invoice, on_statement
from .plans import installments_paid, is_plan_step, paid_under, step_installment
from .sandbox import RENDER_FAILURES, BudgetedSandbox, describe_failure, template_line
from .terms import CHANNELS_WITH_SUBJECT

SUBJECT_PREFIX = "Objet :"
# « Objet : » in French, « Subject: » in an English template; \s also matches the no-break spaces French typing
# inserts.
SUBJECT_LINE = re.compile(r"^(?:Objet|Subject)\s*:\s*")
DEFAULT_LANGUAGE = "fr"
CONTEXT_NAMES = ("customer", "invoices", "total", "other_invoices", "other_total", "company", "legal", "step", "today",
                 "portal_link", "plan")
# The language a template is rendered in, for its filters (« 1 234,50 € » / « €1,234.50 »): the file's language,
# which is the customer's or a fallback one. Not a variable of the templates (not in CONTEXT_NAMES).
LANGUAGE_KEY = "_language"
# Templates are read from files on every render on purpose: a rule editor's fix applies at the next run.


def _language(context: Context) -> str:
    return str(context.get(LANGUAGE_KEY) or DEFAULT_LANGUAGE)


@pass_context
def _money(context: Context, amount: Any, currency: str = "EUR") -> str:
    return money_in(amount, _language(context), currency)


@pass_context
def _longdate(context: Context, day: date) -> str:
    return longdate_in(day, _language(context))


@pass_context
def _shortdate(context: Context, day: date) -> str:
    return shortdate_in(day, _language(context))


@pass_context
def _percent(context: Context, rate: Any) -> str:
    return percent_in(rate, _language(context))


@pass_context
def _phone(context: Context, number: str) -> str:
    """``{{ company.phone|phone }}``: unchanged in French, ``+33 4 65 71 20 48`` for a foreign reader."""
    return phone_in(str(number), _language(context))


@pass_context
def _mentions(context: Context, company: Any) -> str:
    """``{{ company|mentions }}``: the creditor's R123-237 mentions, as its letters carry them."""
    return identity_text(company, _language(context))


@pass_context
def _days(context: Context, count: int) -> str:
    """``{{ f.days_overdue|days }}``: « 1 jour », « 45 jours »; « 1 day », « 45 days » for a foreign reader."""
    if is_french(_language(context)):
        return days(count)
    return f"{count} day{'s' if abs(count) > 1 else ''}"


FILTERS = {"money": _money, "longdate": _longdate, "shortdate": _shortdate, "percent": _percent,
           "mentions": _mentions, "phone": _phone, "days": _days}


@cache
def environment() -> BudgetedSandbox:
    """The sandbox every template renders in, with its budget (``sandbox.RenderLimits``)."""
    return BudgetedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                           keep_trailing_newline=True, filters=FILTERS)


def template_languages(language: str, fallback: str = DEFAULT_LANGUAGE) -> list[str]:
    """The languages tried for a customer, in order: theirs (``en-GB`` or ``EN`` as exported, then ``en``), the
    rules' ``fallback_language``, French."""
    base = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] if language else ""
    return list(dict.fromkeys(x for x in (language, base, fallback, DEFAULT_LANGUAGE) if x))


def resolve_template(templates_dir: Path, channel: str, tone: str | None, template: str | None, language: str,
                     fallback: str = DEFAULT_LANGUAGE) -> tuple[Path, str] | None:
    """The file a message uses and its language: the customer's language first (the tone's template, else
    ``default``), then the fallback language, then French."""
    for candidate in template_languages(language, fallback):
        path = find_template(templates_dir, channel, tone, template, candidate)
        if path is not None:
            return path, candidate
    return None


def template_candidates(channel: str, tone: str | None, template: str | None, language: str) -> list[str]:
    """Template paths relative to ``templates/``, most specific first."""
    if template:
        return [f"{channel}/{template}.{language}.j2"]
    names = [f"{channel}/{tone}.{language}.j2"] if tone else []
    return [*names, f"{channel}/default.{language}.j2"]


def find_template(templates_dir: Path, channel: str, tone: str | None, template: str | None,
                  language: str) -> Path | None:
    for name in template_candidates(channel, tone, template, language):
        path = templates_dir / name
        if path.is_file():
            return path
    return None


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice as a template sees it."""

    id: str
    issue_date: date
    due_date: date
    amount: Decimal
    amount_due: Decimal
    currency: str
    days_overdue: int
    extra: Mapping[str, Any]

    @classmethod
    def of(cls, invoice: Invoice, today: date) -> InvoiceView:
        return cls(invoice.id, invoice.issue_date, invoice.due_date, invoice.amount, invoice.amount_due,
                   invoice.currency, (today - invoice.due_date).days, invoice.extra)


@dataclass(frozen=True, slots=True)
class LegalView:
    interest_rate_text: str
    recovery_indemnity: Decimal
    formal_notice_deadline_days: int


@dataclass(frozen=True, slots=True)
class StepView:
    id: str
    at: str
    channel: str
    tone: str | None


@dataclass(frozen=True, slots=True)
class InstallmentView:
    number: int  # 1-based
    due_date: date
    amount: Decimal
    paid: bool


@dataclass(frozen=True, slots=True)
class PlanView:
    """An invoice's payment plan as a template sees it (SPEC §2.9), for a plan step's message (``echeance``,
    ``decheance``); ``None`` in every other message. Facts from the data: the agreement, its installments, the one
    the message is about, what was paid under the plan and what is left."""

    invoice: str
    agreed_on: date
    installments: tuple[InstallmentView, ...]
    installment: InstallmentView  # the one this message is about
    paid: Decimal  # paid since the agreement
    balance: Decimal  # still due on the invoice: what falls due at once if the plan is broken
    deadline_days: int  # the default notice's deadline (payment_plans.broken_after_days), from its receipt
    currency: str = "EUR"


def plan_view(invoices: Iterable[Invoice], step_id: str, today: date, deadline_days: int) -> PlanView | None:
    """The plan a plan step's message is about: that of the first invoice carrying one; ``None`` otherwise."""
    k = step_installment(step_id)
    if k is None:
        return None
    for invoice in invoices:
        plan = invoice.payment_plan
        if plan is None or k > len(plan.installments):
            continue
        done = installments_paid(plan, invoice.payments, today)
        views = tuple(InstallmentView(n, i.due_date, i.amount, n <= done)
                      for n, i in enumerate(plan.installments, 1))
        return PlanView(invoice.id, plan.agreed_on, views, views[k - 1], paid_under(plan, invoice.payments, today),
                        invoice.amount_due, deadline_days, invoice.currency)
    return None


def interest_rate_text(late_interest: str | Decimal, language: str = DEFAULT_LANGUAGE) -> str:
    """The late-payment interest rate of art. L441-10 C. com., in words, in the reader's language."""
    if not is_french(language):
        if late_interest == "legal":
            return ("the interest rate applied by the European Central Bank to its most recent refinancing "
                    "operation, plus 10 percentage points")
        return f"{percent_in(Decimal(late_interest), language)} per annum"
    if late_interest == "legal":
        return ("le taux d’intérêt appliqué par la Banque centrale européenne à son opération de "
                "refinancement la plus récente, majoré de 10 points de pourcentage")
    return f"{percent_in(Decimal(late_interest), language)} l’an"


def message_context(*, customer: Customer, invoices: Iterable[Invoice], company: Any, legal: LegalView,
                    step: StepView, today: date, others: Iterable[Invoice] = (),
                    portal_link: str = "", language: str = DEFAULT_LANGUAGE,
                    plan: PlanView | None = None) -> dict[str, Any]:
    """What a template sees. ``others``: the customer's other open invoices, listed for information below the
    invoices the message demands (the statement of account, SPEC §2.8) — ``other_invoices``, most overdue first,
    and ``other_total``; a template that does not use them still renders.
    ``portal_link``: the debtor's personal link to the portal (short on letters), ``""`` when there is none.
    ``language``: the template's, for its filters (not a variable of the templates).
    ``plan``: the payment plan a plan step's message is about (:func:`plan_view`), else ``None``."""
    views = [InvoiceView.of(i, today) for i in invoices]
    listed = {v.id for v in views}
    statement = sorted((InvoiceView.of(i, today) for i in others if i.id not in listed and on_statement(i, today)),
                       key=lambda v: (v.due_date, v.id))
    return {"customer": customer, "invoices": views, "total": sum((v.amount_due for v in views), Decimal(0)),
            "other_invoices": statement, "other_total": sum((v.amount_due for v in statement), Decimal(0)),
            "company": company, "legal": legal, "step": step, "today": today,
            "portal_link": portal_link, "plan": plan, LANGUAGE_KEY: language}


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    language: str = DEFAULT_LANGUAGE  # the template's: the customer's, or the fallback one


# What an e-mail header cannot carry (Python's e-mail package refuses every line boundary of str.splitlines)
# and what has no business in a subject line anyway: control characters.
_NOT_IN_A_SUBJECT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def split_subject(text: str, channel: str) -> Rendered:
    """Take the ``Objet : …`` first line off a rendered text (e-mails and letters).

    The subject is one line of text whatever the data put in it: a carriage return from a CRLF template or a
    line separator from an imported name becomes a space, so the e-mail header can always be written.
    """
    if channel not in CHANNELS_WITH_SUBJECT:
        return Rendered("", text.strip("\n"))
    first, _, rest = text.lstrip("\n").partition("\n")
    match = SUBJECT_LINE.match(first)
    if match is None:
        raise SubjectMissing(f"la première ligne doit être l’objet du message : « {SUBJECT_PREFIX} … » "
                             "(« Subject: … » dans un modèle anglais)")
    return Rendered(_NOT_IN_A_SUBJECT.sub(" ", first[match.end():]).strip(), rest.strip("\n"))


class SubjectMissing(ValueError):
    """A rendered e-mail or letter whose first line is not its « Objet : … »."""


class TemplateMissing(LookupError):
    """No template for a channel × tone × language, even after the fallback language and French."""


class RenderFailed(Exception):
    """A template that cannot make this message: the same data fails the same way, so it is never retried.

    ``template`` is the file relative to ``templates/``, ``line`` the template line, ``reason`` French.
    """

    def __init__(self, template: str, line: int, reason: str) -> None:
        super().__init__(f"modèle {template}, ligne {line} : {reason}")
        self.template, self.line, self.reason = template, line, reason


def legal_view(legal: Any, language: str = DEFAULT_LANGUAGE) -> LegalView:
    return LegalView(interest_rate_text(legal.late_interest, language), legal.recovery_indemnity,
                     legal.formal_notice_deadline_days)


def render_message(rules: Any, *, customer: Customer, invoices: Iterable[Invoice], channel: str, tone: str | None,
                   step_id: str, at: str, template: str | None, today: date,
                   others: Iterable[Invoice] = (), portal_link: str = "") -> Rendered:
    """What the debtor reads for one message: in their language, else in the rules' fallback language, else in
    French (:func:`resolve_template`); amounts and dates written the way that language writes them.
    ``others``: the customer's other open invoices, for the statement of account (:func:`message_context`)."""
    templates_dir = rules.directory / "templates"
    fallback = getattr(rules, "fallback_language", DEFAULT_LANGUAGE)
    found = resolve_template(templates_dir, channel, tone, template, customer.language or DEFAULT_LANGUAGE, fallback)
    if found is None:
        raise TemplateMissing(f"no template for {channel}/{template or tone} in {customer.language}")
    path, language = found
    invoices = list(invoices)
    plan = None
    if is_plan_step(step_id):
        section = getattr(rules, "payment_plans", None)
        plan = plan_view(invoices, step_id, today, getattr(section, "broken_after_days", 8))
    context = message_context(customer=customer, invoices=invoices, company=rules.company,
                              legal=legal_view(rules.legal, language), step=StepView(step_id, at, channel, tone),
                              today=today, others=others, portal_link=portal_link, language=language, plan=plan)
    rendered = render_file(path, context, channel, name=path.relative_to(templates_dir).as_posix())
    return replace(rendered, language=language)


def render_file(path: Path, context: Mapping[str, Any], channel: str, *, name: str) -> Rendered:
    """One template file rendered in the budgeted sandbox; any failure is a :class:`RenderFailed`."""
    source = ""
    try:
        source = path.read_text(encoding="utf-8-sig")
        text = environment().from_string(source).render(context)
        return split_subject(text, channel)
    except RENDER_FAILURES as err:
        raise RenderFailed(name, template_line(err, source), describe_failure(err)) from None
