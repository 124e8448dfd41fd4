"""The debtor portal's use cases: the personal link every message carries, and what a debtor does with it.

A link is ``<portal url>/p/<token>``: a token signed by :mod:`relance.signing` (HMAC, key id inside, so keys
rotate without breaking links already sent) whose only claim, besides its expiry, is a random link id. The
customer it opens is looked up server-side (the link's record), so the URL carries no personal data; a link is
revoked by its record, all links at once by dropping the key. Each message mints a new link (a fresh lifetime);
an e-mail's lives ``portal.link_days``, a letter's ``portal.letter_link_days`` (the post, then the time to act).

Every action is a history event on each invoice it concerns, with its time and the link's id: evidence, as the
rest of the history. The account manager is told by e-mail of a promise, a dispute or a plan request.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ..domain.conditions import CustomerStats, Facts
from ..domain.model import Customer, Invoice, disputed_on
from ..domain.plans import AGREED_BY_PORTAL, Installment, PaymentPlan, self_service_problem
from ..domain.policy import Rules
from ..domain.portal import (
    POSTAL,
    Choice,
    Transfer,
    check_dispute,
    check_plan_request,
    check_promise,
    even_installments,
    transfer_for,
)
from ..ports import (
    CHECKOUT_IDS_MAX_CHARS,
    CheckoutLine,
    CheckoutProvider,
    CheckoutSession,
    EmailSender,
    PortalLinkStore,
    PortalStore,
)
from ..signing import InvalidSignature, SigningKey, keyed_mac, keys_from_text, sign_token, verify_token

LINK_PATH = "/p/"


def keys_from_secret(text: str) -> list[SigningKey]:
    """The portal's link keys kept in SSM (:func:`relance.signing.keys_from_text`)."""
    return keys_from_text(text, "the portal link parameter")


@dataclass(frozen=True, slots=True)
class Access:
    """What a valid link opens: one customer, through one link (its id goes on every event it causes)."""

    customer_id: str
    link_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class PortalLink:
    link_id: str
    url: str  # the signed token's link: e-mails, call scripts, the QR code
    short_url: str  # typeable, for a letter: the link id and a short MAC, resolved server-side

    def for_channel(self, channel: str) -> str:
        return self.short_url if channel in POSTAL else self.url


SHORT_PATH = "/l/"
_SHORT_MAC_CHARS = 10


class Links:
    """Mint and open portal links. ``keys[0]`` signs; every key in ``keys`` is accepted (rotation)."""

    def __init__(self, *, keys: Sequence[SigningKey], base_url: str, store: PortalLinkStore,
                 now: Callable[[], datetime], new_id: Callable[[], str] = lambda: secrets.token_urlsafe(12)) -> None:
        self.keys = list(keys)
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.now = now
        self.new_id = new_id

    def mint(self, customer_id: str, channel: str, rules: Rules, *, message_key: str = "") -> PortalLink:
        """A new link for ``customer_id``, recorded, living as long as the rules give ``channel``'s links."""
        ttl = rules.portal.link_seconds(channel)
        now = self.now()
        link_id = self.new_id()
        token = sign_token({"l": link_id}, self.keys[0], now=now, ttl_s=ttl)
        expires = int(now.timestamp()) + ttl
        self.store.keep_portal_link(link_id, {"customer": customer_id, "channel": channel, "token": token,
                                              "issued": now.isoformat(timespec="seconds"), "expires": expires,
                                              "message_key": message_key}, expires_at=expires)
        short = f"{link_id}.{self._short_mac(self.keys[0], link_id)}"
        return PortalLink(link_id, f"{self.base_url}{LINK_PATH}{token}", f"{self.base_url}{SHORT_PATH}{short}")

    def open(self, token: str) -> Access | None:
        """The access a token gives, or ``None`` — forged, expired, revoked, unknown: all alike to the caller."""
        try:
            claims = verify_token(token, self.keys, now=self.now())
        except (InvalidSignature, ValueError):
            return None
        link_id = claims.get("l")
        record = self.store.portal_link(link_id) if isinstance(link_id, str) else None
        if not record or record.get("revoked") or not record.get("customer") or record.get("token") != token:
            return None
        return Access(str(record["customer"]), link_id, str(record.get("channel", "")))

    def resolve_short(self, code: str) -> str | None:
        """The token a letter's short link stands for, or ``None`` (forged, expired, revoked, unknown)."""
        link_id, dot, mac = code.rpartition(".")
        if not dot or not link_id or len(code) > 64:
            return None
        if not any(hmac.compare_digest(self._short_mac(key, link_id), mac) for key in self.keys):
            return None
        record = self.store.portal_link(link_id)
        if not record or record.get("revoked") or int(record.get("expires", 0)) <= self.now().timestamp():
            return None
        token = record.get("token")
        return token if isinstance(token, str) and self.open(token) is not None else None

    def path_of(self, token: str) -> str:
        return f"{LINK_PATH}{token}"

    def csrf(self, access: Access) -> str:
        """The form token of a link's pages: bound to the link, unknowable without the signing key."""
        return self._mac(self.keys[0], b"csrf." + access.link_id.encode())

    def csrf_ok(self, access: Access, offered: str) -> bool:
        return any(hmac.compare_digest(self._mac(key, b"csrf." + access.link_id.encode()), offered or "")
                   for key in self.keys)

    @classmethod
    def _short_mac(cls, key: SigningKey, link_id: str) -> str:
        return cls._mac(key, b"short." + link_id.encode())[:_SHORT_MAC_CHARS]

    @staticmethod
    def _mac(key: SigningKey, message: bytes) -> str:
        return keyed_mac(key, message)


# -- what the pages show -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Line:
    invoice: Invoice
    days_late: int
    payable: bool = True  # offered for online payment: open, or a portal dispute whose review pause has ended

    @property
    def id(self) -> str:
        return self.invoice.id


@dataclass(frozen=True, slots=True)
class Overview:
    customer: Customer
    lines: list[Line]
    transfer: Transfer | None

    @property
    def total(self) -> Decimal:
        return sum((line.invoice.amount_due for line in self.lines), Decimal(0))


def overview(store: PortalStore, rules: Rules, access: Access, today: date) -> Overview | None:
    customer = store.customer(access.customer_id)
    if customer is None:
        return None
    invoices = sorted((i for i in store.customer_open_invoices(access.customer_id)
                       if i.amount_due > 0 and i.status in ("open", "disputed", "litigation")),
                      key=lambda i: (i.due_date, i.id))
    lines = [Line(i, max(0, (today - i.due_date).days),
                  i.status == "open" or (i.status == "disputed" and not disputed_on(i, today))) for i in invoices]
    transfer = transfer_for(rules.company, [(i.id, i.amount_due) for i in invoices], customer.id) if invoices else None
    return Overview(customer, lines, transfer)


def own_invoices(store: PortalStore, access: Access, ids: Sequence[str]) -> list[Invoice]:
    """The invoices among ``ids`` that belong to the link's customer and are still due; others are ignored, so a
    hand-made form cannot reach another customer's invoice."""
    mine = {i.id: i for i in store.customer_open_invoices(access.customer_id) if i.amount_due > 0}
    return [mine[i] for i in dict.fromkeys(ids) if i in mine]


# -- actions -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: ``problem`` (French) when refused, else the invoices it concerned. ``outcome``: which
    of its results the page announces (a plan accepted at once, or a request for a person)."""

    invoices: tuple[str, ...] = ()
    problem: str = ""
    outcome: str = ""


# The schedule the portal proposes: monthly installments, the first a month after the day the debtor agrees.
PLAN_EVERY_DAYS = 30


@dataclass(frozen=True, slots=True)
class PlanProposal:
    """The schedule a debtor's choice gives (SPEC §2.9 self-service): ``plan`` is what they pay on each date,
    all chosen invoices together; ``per_invoice`` the plan each invoice carries (each sums to its amount due).
    ``problem`` (French): why a person must agree it instead — empty when it is accepted at once."""

    invoices: tuple[Invoice, ...]
    plan: PaymentPlan
    per_invoice: tuple[tuple[Invoice, PaymentPlan], ...]
    problem: str = ""

    @property
    def accepted_at_once(self) -> bool:
        return not self.problem


def propose_plan(rules: Rules, customer: Customer, invoices: Sequence[Invoice], others: Sequence[Invoice],
                 count: int, today: date) -> PlanProposal:
    """``count`` monthly installments for ``invoices``, checked against the rules' self-service limits.

    ``others``: the customer's open invoices (for the conditions' open balance and overdue count)."""
    first = today + timedelta(days=PLAN_EVERY_DAYS)
    per_invoice = tuple((i, PaymentPlan(today, tuple(even_installments(i.amount_due, count, first,
                                                                       every_days=PLAN_EVERY_DAYS))))
                        for i in invoices)
    dates = [first + timedelta(days=PLAN_EVERY_DAYS * k) for k in range(count)]
    combined = PaymentPlan(today, tuple(
        Installment(day, sum((p.installments[k].amount for _, p in per_invoice), Decimal(0)))
        for k, day in enumerate(dates)))
    service = rules.payment_plans.self_service
    problem = ""
    if service is None:
        problem = "Un conseiller étudie chaque demande d’échéancier."
    elif any(i.status != "open" or i.payment_plan is not None for i in invoices):
        problem = "L’une de ces factures ne peut pas être échelonnée en ligne : un conseiller étudie votre demande."
    else:
        stats = CustomerStats(sum((i.amount_due for i in others), Decimal(0)),
                              sum(1 for i in others if i.due_date < today))
        if service.when is not None and not all(service.when(Facts(i, customer, today, stats)) for i in invoices):
            problem = "Ces factures ne peuvent pas être échelonnées en ligne : un conseiller étudie votre demande."
        else:
            problem = self_service_problem(service, combined) or ""
    return PlanProposal(tuple(invoices), combined, per_invoice, problem)


class Portal:
    """The debtor's actions, with the outside world passed in."""

    def __init__(self, *, store: PortalStore, rules: Rules, today: Callable[[], date], now: Callable[[], datetime],
                 notify: Callable[[Customer, str, str], None] | None = None,
                 agreement: Callable[[Customer, Sequence[Invoice], PaymentPlan, str], str] | None = None) -> None:
        """``agreement(customer, invoices, plan, link_id)``: the written échéancier of a plan accepted at once
        (``app.plan_agreement``); it answers what became of it, in French, for the account manager."""
        self.store = store
        self.rules = rules
        self.today = today
        self.now = now
        self.notify = notify or (lambda customer, subject, text: None)
        self.agreement = agreement

    def _event(self, access: Access, invoices: Sequence[str], kind: str, **details: str) -> None:
        at = self.now().astimezone(UTC).isoformat(timespec="seconds")
        self.store.append_events([{"invoice": i, "kind": kind, "date": self.today().isoformat(), "at": at,
                                   "source": "portal", "link_id": access.link_id, **details} for i in invoices])

    def viewed(self, access: Access, invoices: Sequence[str]) -> None:
        """The debtor opened the link: evidence that the reminder reached them (once a day is enough)."""
        self._event(access, invoices, "portal_viewed")

    def promise(self, access: Access, ids: Sequence[str], until: date | None) -> Done:
        chosen = own_invoices(self.store, access, ids)
        if not chosen:
            return Done(problem="Choisissez au moins une facture.")
        verdict = check_promise(self.rules.portal, self.today(), until)
        if not verdict.ok:
            return Done(problem=verdict.problem)
        assert until is not None
        at = self.now().astimezone(UTC).isoformat(timespec="seconds")
        done = []
        for invoice in chosen:
            if self.store.update_invoice_state(invoice.id, kind="promise", on=self.today(),
                                               sets={"promise_to_pay_until": until.isoformat()},
                                               when_status=("open",),
                                               details={"until": until.isoformat(), "source": "portal",
                                                        "link_id": access.link_id, "at": at}):
                done.append(invoice.id)
        if done:
            self._tell(access, "Promesse de paiement", f"Le client promet de régler {', '.join(done)} au plus tard "
                       f"le {until.strftime('%d/%m/%Y')} (espace client, lien {access.link_id}).")
        return Done(tuple(done)) if done else Done(problem="Ces factures ne peuvent plus recevoir de promesse.")

    def dispute(self, access: Access, ids: Sequence[str], reason: str, comment: str) -> Done:
        chosen = own_invoices(self.store, access, ids)
        if not chosen:
            return Done(problem="Choisissez au moins une facture.")
        verdict = check_dispute(self.rules.portal, reason, comment)
        if not verdict.ok:
            return Done(problem=verdict.problem)
        # Disputed (the planner pauses, SPEC §2 rule 2) pending a person's review, who has dispute_pause_days to
        # look: through ``dispute_until`` only — no decision by then, the reminders start again the day after
        # (``domain.model.disputed_on``). The deadline is on the event and in the account manager's notice.
        until = self.today() + timedelta(days=self.rules.portal.dispute_pause_days)
        at = self.now().astimezone(UTC).isoformat(timespec="seconds")
        done = []
        for invoice in chosen:
            if self.store.update_invoice_state(
                    invoice.id, kind="dispute", on=self.today(),
                    sets={"status": "disputed", "dispute_until": until.isoformat()}, when_status=("open",),
                    details={"reason": reason, "comment": comment[:2000], "review_until": until.isoformat(),
                             "source": "portal", "link_id": access.link_id, "at": at}):
                done.append(invoice.id)
        if done:
            label = self.rules.portal.reason_label(reason) or reason
            self._tell(access, "Contestation à examiner",
                       f"Le client conteste {', '.join(done)} : {label}.\n\nSon commentaire :\n{comment}\n\n"
                       f"Les relances de ces factures sont suspendues jusqu’au {until.strftime('%d/%m/%Y')} : "
                       "examinez la contestation d’ici là, puis reprenez les relances (relance invoice resume) ou "
                       "confirmez la contestation (relance invoice dispute), qui les suspend alors jusqu’à votre "
                       "décision. Sans décision de votre part, les relances reprennent le "
                       f"{(until + timedelta(days=1)).strftime('%d/%m/%Y')}.")
        return Done(tuple(done)) if done else Done(problem="Ces factures ne peuvent plus être contestées en ligne.")

    def proposal(self, access: Access, ids: Sequence[str], installments: int | None,
                 comment: str = "") -> PlanProposal | Done:
        """The schedule the debtor's choice gives, to show before they confirm; or the problem with the choice."""
        chosen = own_invoices(self.store, access, ids)
        if not chosen:
            return Done(problem="Choisissez au moins une facture.")
        verdict: Choice = check_plan_request(installments, comment)
        if not verdict.ok:
            return Done(problem=verdict.problem)
        assert installments is not None
        customer = self.store.customer(access.customer_id)
        if customer is None:
            return Done(problem="Choisissez au moins une facture.")
        others = [i for i in self.store.customer_open_invoices(access.customer_id) if i.amount_due > 0]
        return propose_plan(self.rules, customer, chosen, others, installments, self.today())

    def request_plan(self, access: Access, ids: Sequence[str], installments: int | None, comment: str) -> Done:
        """The debtor confirms the schedule: inside the rules' self-service limits it is agreed at once (the plan on
        each invoice, the written échéancier sent, the account manager told); outside, a request for a person."""
        proposed = self.proposal(access, ids, installments, comment)
        if isinstance(proposed, Done):
            return proposed
        if proposed.accepted_at_once:
            agreed = self._agree(access, proposed, comment)
            if agreed is not None:
                return agreed
        chosen = proposed.invoices
        total = sum((i.amount_due for i in chosen), Decimal(0))
        self._event(access, [i.id for i in chosen], "plan_request", installments=str(installments),
                    comment=comment[:2000], amount=f"{total:.2f}", status="for_review")
        self._tell(access, "Demande d’échéancier",
                   f"Le client demande à régler {', '.join(i.id for i in chosen)} ({total:.2f} €) en "
                   f"{installments} échéances.\n\nSon commentaire :\n{comment}\n\nÀ vous de lui répondre.")
        return Done(tuple(i.id for i in chosen), outcome="request")

    def _agree(self, access: Access, proposed: PlanProposal, comment: str) -> Done | None:
        """Agree each invoice's plan (``app.plans.agree_plan``); ``None`` when none could be (it becomes a
        request). An invoice that changed meanwhile is left out, and the account manager hears of it."""
        from .manual import UnknownInvoice, UnusableInvoice
        from .plans import PlanRefused, agree_plan

        at = self.now()
        agreed: list[tuple[Invoice, PaymentPlan]] = []
        refused: list[str] = []
        for invoice, plan in proposed.per_invoice:
            try:
                agree_plan(self.store, invoice.id, plan, AGREED_BY_PORTAL, at, who=access.link_id)
            except (PlanRefused, UnknownInvoice, UnusableInvoice) as err:
                refused.append(f"{invoice.id} : {err}")
                continue
            agreed.append((invoice, plan))
        if not agreed:
            return None
        invoices = [i for i, _ in agreed]
        plan = proposed.plan if len(agreed) == len(proposed.per_invoice) else _combined(agreed)
        customer = self.store.customer(access.customer_id)
        written = ""
        if customer is not None and self.agreement is not None:
            written = self.agreement(customer, invoices, plan, access.link_id)
        schedule = "\n".join(f"- {i.due_date.strftime('%d/%m/%Y')} : {i.amount:.2f} €" for i in plan.installments)
        text = (f"Le client a choisi sur son espace client (lien {access.link_id}) de régler "
                f"{', '.join(i.id for i in invoices)} ({plan.total:.2f} €) en {len(plan.installments)} échéances, "
                f"dans les limites de l’échéancier en libre-service : il est accepté.\n\n{schedule}\n")
        if written:
            text += f"\n{written}\n"
        if refused:
            text += "\nNon compris (à examiner) :\n" + "\n".join(f"- {r}" for r in refused) + "\n"
        if comment:
            text += f"\nSon commentaire :\n{comment}\n"
        self._tell(access, "Échéancier accepté en ligne", text)
        return Done(tuple(i.id for i in invoices), outcome="agreed")

    def start_payment(self, access: Access, invoice_ids: Sequence[str], checkout: CheckoutProvider, *,
                      return_url: str) -> CheckoutSession | Done:
        """One Checkout Session for the chosen invoices (all or some of the open ones), a line each, in the order
        the page lists them — by due date, oldest first: the order the webhook applies the payment in."""
        chosen = sorted(own_invoices(self.store, access, invoice_ids), key=lambda i: (i.due_date, i.id))
        if not chosen or not self.rules.portal.online_payment:
            return Done(problem="Choisissez au moins une facture à régler en ligne.")
        if len({i.currency for i in chosen}) > 1:
            return Done(problem="Ces factures sont dans des devises différentes : réglez-les en deux fois.")
        if len(chosen) > 1 and (len(",".join(i.id for i in chosen)) > CHECKOUT_IDS_MAX_CHARS
                                or len(",".join(f"{i.amount_due:.2f}" for i in chosen)) > CHECKOUT_IDS_MAX_CHARS
                                or any("," in i.id for i in chosen)):
            return Done(problem="Trop de factures pour un seul paiement : choisissez-en moins, ou réglez-les "
                                "en plusieurs fois.")
        total = sum((i.amount_due for i in chosen), Decimal(0))
        session = checkout.create_session(
            lines=[CheckoutLine(i.id, i.amount_due, f"Facture {i.id}") for i in chosen], currency=chosen[0].currency,
            success_url=f"{return_url}?session_id={{CHECKOUT_SESSION_ID}}", cancel_url=f"{return_url}?annule=1")
        self.store.keep_checkout(session.id, {"invoice": chosen[0].id, "invoices": ",".join(i.id for i in chosen),
                                              "customer": access.customer_id, "link_id": access.link_id,
                                              "amount": f"{total:.2f}"},
                                 expires_at=int(self.now().timestamp()) + 30 * 86400)
        self._event(access, [i.id for i in chosen], "checkout_started", session=session.id,
                    amount=f"{total:.2f}",
                    **({"checkout_invoices": ",".join(i.id for i in chosen)} if len(chosen) > 1 else {}))
        return session

    def payment_outcome(self, session_id: str) -> tuple[str, list[Invoice]]:
        """After the checkout: ``paid`` (the webhook applied it to every invoice), ``pending`` (not yet, or a SEPA
        debit on its way) or ``unknown`` (no such session of ours) — read from our own records, never from the
        URL alone; with the session's invoices."""
        kept = self.store.checkout(session_id)
        if not kept:
            return "unknown", []
        ids = str(kept.get("invoices") or kept.get("invoice", "")).split(",")
        invoices = [found[0] for found in (self.store.invoice(i) for i in ids if i) if found]
        if invoices and all(i.status == "paid" or i.amount_due <= 0 for i in invoices):
            return "paid", invoices
        return "pending", invoices

    def _tell(self, access: Access, subject: str, text: str) -> None:
        customer = self.store.customer(access.customer_id)
        if customer is not None:
            self.notify(customer, subject, text)


def _combined(plans: Sequence[tuple[Invoice, PaymentPlan]]) -> PaymentPlan:
    """What the debtor pays on each date, the invoices' plans (same dates) added up."""
    first = plans[0][1]
    return PaymentPlan(first.agreed_on, tuple(
        Installment(i.due_date, sum((p.installments[k].amount for _, p in plans), Decimal(0)))
        for k, i in enumerate(first.installments)))


def manager_notifier(sender: EmailSender, *, company_email: str, company_name: str,
                     now: Callable[[], datetime]) -> Callable[[Customer, str, str], None]:
    """Tell the customer's account manager (or the company's address) by e-mail."""
    from ..domain.email import build_email

    def notify(customer: Customer, subject: str, text: str) -> None:
        to = customer.account_manager or company_email
        if not to:
            return
        body = f"{customer.name} ({customer.id})\n\n{text}\n"
        raw = build_email(sender_name=f"{company_name} — espace client", sender=company_email, to=[to],
                          subject=f"{subject} — {customer.name}", text=body, reply_to=company_email,
                          attachments=[], message_id=f"portal-{secrets.token_hex(8)}", sent_at=now())
        sender.send(raw=raw, sender=company_email, to=[to], reply_to=company_email,
                    tags={"message_key": "portal"})

    return notify
