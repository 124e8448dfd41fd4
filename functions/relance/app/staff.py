"""The account managers' one-click links and what they do through them, without a terminal.

A staff link is ``<portal url>/s/<token>``: a token signed by :mod:`relance.signing` with keys of its own
(SSM ``/relance/staff/link-keys``, never the debtors' portal keys). Its claims are a random link id, the action
(``appel``, ``approbation``, ``suggestion``), a keyed hash of the account manager's address (never the address)
and the expiry: no personal data in the URL. What the link is about — the manager, the customer, the invoices,
the approval or the reply — is its record, server-side (``STAFF#<link id>``), so a link is revoked by its record,
every link at once by dropping the key.

A link opens only when its signature, its expiry, its record, the action and the manager's hash all agree, and
the customer's account manager is still the one the link was made for (a customer handed to a colleague takes
its links with it). Anything else — forged, expired, revoked, another manager's — is answered alike, as an
unknown address: nothing tells who holds a link whether it was real.

Every action is recorded through the same functions as the command line (``app.manual``), with who did it
(``by``: the account manager), how (``source``: ``staff``, the link's id) and when (the event's time): the
history, and so the dossier's chronology, says who did what and when.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..domain.model import Customer, Invoice
from ..domain.policy import Rules
from ..domain.terms import EventKind
from ..ports import StaffLinkStore, StaffStore
from ..signing import InvalidSignature, SigningKey, keys_from_text, sign_token, verify_token
from . import manual

STAFF_PATH = "/s/"
LINK_DAYS = 7  # a digest's or a notice's link: the week it is read in
CALL = "appel"
APPROVAL = "approbation"
SUGGESTION = "suggestion"
ACTIONS = (CALL, APPROVAL, SUGGESTION)
PROMISE_MAX_DAYS = 366  # a promise taken by phone: any date within the year (the debtor's own portal is tighter)


def keys_from_secret(text: str) -> list[SigningKey]:
    """The staff link keys kept in SSM, rotated as the portal's (:func:`relance.signing.keys_from_text`)."""
    return keys_from_text(text, "the staff link parameter")


@dataclass(frozen=True, slots=True)
class StaffAccess:
    """What a valid staff link opens: one action, for one account manager, on one customer's invoices."""

    link_id: str
    manager: str
    action: str
    customer_id: str
    invoices: tuple[str, ...]
    subject: str = ""  # the approval's or the reply's key, for those actions

    def by(self) -> dict[str, str]:
        """Who recorded an event through this link: on every history event it causes."""
        return {"by": self.manager, "source": "staff", "link_id": self.link_id}


def _mac(key: SigningKey, message: bytes) -> str:
    digest = hmac.new(key.secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def manager_tag(key: SigningKey, manager: str) -> str:
    """A keyed hash of the manager's address: binds a token to a person without writing who in the URL."""
    return _mac(key, b"manager." + manager.strip().lower().encode())[:22]


class StaffLinks:
    """Mint, open and revoke staff links. ``keys[0]`` signs; every key in ``keys`` is accepted (rotation)."""

    def __init__(self, *, keys: Sequence[SigningKey], base_url: str, store: StaffLinkStore,
                 now: Callable[[], datetime], new_id: Callable[[], str] = lambda: secrets.token_urlsafe(12)) -> None:
        if not keys:
            raise ValueError("no staff link key configured")
        self.keys = list(keys)
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.now = now
        self.new_id = new_id

    def mint(self, *, manager: str, action: str, customer_id: str, invoices: Sequence[str] = (), subject: str = "",
             ttl_s: int = LINK_DAYS * 86400) -> str:
        """A new link (its full URL) for ``manager`` to do ``action`` on ``customer_id``'s ``invoices``."""
        if action not in ACTIONS:
            raise ValueError(f"unknown staff action {action!r}")
        if not manager.strip():
            raise ValueError("a staff link is for one account manager")
        now = self.now()
        link_id = self.new_id()
        token = sign_token({"l": link_id, "a": action, "m": manager_tag(self.keys[0], manager)}, self.keys[0],
                           now=now, ttl_s=ttl_s)
        expires = int(now.timestamp()) + ttl_s
        self.store.keep_staff_link(link_id, {
            "manager": manager.strip().lower(), "action": action, "customer": customer_id,
            "invoices": list(dict.fromkeys(invoices)), "subject": subject, "token": token,
            "issued": now.isoformat(timespec="seconds"), "expires": expires}, expires_at=expires)
        return f"{self.base_url}{STAFF_PATH}{token}"

    def reply_link(self, *, manager: str, customer_id: str, invoices: Sequence[str], reply_id: str) -> str:
        """The link of a debtor's reply, for the account manager's notice (``app.replies``)."""
        return self.mint(manager=manager, action=SUGGESTION, customer_id=customer_id, invoices=invoices,
                         subject=reply_id)

    def open(self, token: str) -> StaffAccess | None:
        """The access a token gives, or ``None`` — forged, expired, revoked, unknown, altered: all alike."""
        try:
            claims = verify_token(token, self.keys, now=self.now())
        except (InvalidSignature, ValueError):
            return None
        link_id, action, tag = claims.get("l"), claims.get("a"), claims.get("m")
        if not (isinstance(link_id, str) and isinstance(action, str) and isinstance(tag, str)):
            return None
        record = self.store.staff_link(link_id)
        if not record or record.get("revoked") or record.get("token") != token or record.get("action") != action:
            return None
        manager = str(record.get("manager") or "")
        if not manager or not any(hmac.compare_digest(manager_tag(key, manager), tag) for key in self.keys):
            return None
        invoices = record.get("invoices") or []
        return StaffAccess(link_id, manager, action, str(record.get("customer") or ""),
                           tuple(str(i) for i in invoices if isinstance(i, str)), str(record.get("subject") or ""))

    def revoke(self, link_id: str) -> bool:
        return self.store.revoke_staff_link(link_id)

    def csrf(self, access: StaffAccess) -> str:
        """The form token of a link's page: bound to the link, unknowable without the signing key."""
        return _mac(self.keys[0], b"staff-csrf." + access.link_id.encode())

    def csrf_ok(self, access: StaffAccess, offered: str) -> bool:
        return any(hmac.compare_digest(_mac(key, b"staff-csrf." + access.link_id.encode()), offered or "")
                   for key in self.keys)


def manager_of(customer: Customer, rules: Rules) -> str:
    """Who handles ``customer``: its account manager, else the company's address (as the call tasks say)."""
    return (customer.account_manager or rules.company.email or "").strip().lower()


# -- what the pages show -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CallLine:
    invoice: Invoice
    days_late: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event recorded on the invoices of the page, as the page lists it: when, what, who."""

    at: str
    day: date | None
    note: str
    by: str
    invoices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CallView:
    customer: Customer
    lines: list[CallLine]
    recorded: list[Recorded]


@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: ``problem`` (French) when refused, else the invoices it concerned."""

    invoices: tuple[str, ...] = ()
    problem: str = ""


class StaffDesk:
    """The account manager's actions through a link, with the outside world passed in."""

    def __init__(self, *, store: StaffStore, rules: Rules, links: StaffLinks, today: Callable[[], date],
                 now: Callable[[], datetime]) -> None:
        self.store = store
        self.rules = rules
        self.links = links
        self.today = today
        self.now = now

    def open(self, token: str) -> tuple[StaffAccess, Customer] | None:
        """The link's access and customer, when the link is valid and still its customer's manager's."""
        access = self.links.open(token)
        if access is None:
            return None
        customer = self.store.customer(access.customer_id)
        if customer is None or manager_of(customer, self.rules) != access.manager:
            return None
        return access, customer

    def _invoices(self, access: StaffAccess) -> list[Invoice]:
        found = []
        for invoice_id in access.invoices:
            invoice = self.store.checked_invoice(invoice_id)
            if isinstance(invoice, Invoice) and invoice.customer_id == access.customer_id:
                found.append(invoice)
        return found

    def call_view(self, access: StaffAccess, customer: Customer) -> CallView:
        today = self.today()
        invoices = self._invoices(access)
        lines = [CallLine(i, max(0, (today - i.due_date).days)) for i in invoices]
        merged: dict[tuple[str, str, str], list[str]] = {}
        notes: dict[tuple[str, str, str], str] = {}
        for invoice in invoices:
            for event in self.store.history(invoice.id):
                if event.get("kind") != EventKind.CALL_MADE:
                    continue
                key = (str(event.get("at", "")), str(event.get("date", "")), str(event.get("by", "")))
                merged.setdefault(key, []).append(invoice.id)
                notes[key] = str(event.get("note", ""))
        recorded = [Recorded(at, _day(day), notes[(at, day, by)], by, tuple(ids))
                    for (at, day, by), ids in sorted(merged.items(), reverse=True)]
        return CallView(customer, lines, recorded)

    def record_call(self, access: StaffAccess, chosen: Sequence[str], result: str, *, note: str = "",
                    until: str = "", reason: str = "") -> Done:
        """What a call gave, on the chosen invoices of the link: through :func:`app.manual.record_call`, the
        function ``relance invoice call`` records a call with."""
        if access.action != CALL:
            return Done(problem="Ce lien ne sert pas à noter un appel.")
        mine = {i.id: i for i in self._invoices(access)}
        picked = [mine[i] for i in dict.fromkeys(chosen) if i in mine]
        if not picked:
            return Done(problem="Choisissez au moins une facture.")
        if result not in manual.CALL_RESULTS:
            return Done(problem="Choisissez ce que l’appel a donné.")
        note = note.strip()[:2000]
        today = self.today()
        promised: date | None = None
        reason_label = ""
        if result == "promise":
            try:
                promised = date.fromisoformat(until.strip())
            except ValueError:
                return Done(problem="Indiquez la date promise par le client.")
            if promised < today:
                return Done(problem="La date promise ne peut pas être passée.")
            if promised > today + timedelta(days=PROMISE_MAX_DAYS):
                return Done(problem="La date promise doit tomber dans l’année qui vient.")
        if result == "dispute":
            reason_label = self.rules.portal.reason_label(reason) or ""
            if not reason_label:
                return Done(problem="Choisissez le motif de la contestation.")
            if reason == "other" and not note:
                return Done(problem="Précisez la contestation dans la note.")
        outcome = manual.CallOutcome(result, note, promised, reason_label)
        done = []
        for invoice in picked:
            try:
                if manual.record_call(self.store, invoice.id, today, outcome, access.by()):
                    done.append(invoice.id)
            except (manual.UnknownInvoice, manual.UnusableInvoice):
                continue  # one unreadable invoice never costs the others their record
        if not done:
            return Done(problem="Rien n’a pu être enregistré sur ces factures.")
        return Done(tuple(done))


    # -- a reply's suggestions (app.replies) ------------------------------------------------------------------

    def reply_view(self, access: StaffAccess, customer: Customer) -> ReplyView | None:
        """The reply a suggestion link is about, with what relance read in it; ``None`` when it is not (or no
        longer) this customer's."""
        from . import replies

        if access.action != SUGGESTION:
            return None
        reply = self.store.reply(access.subject)
        if not reply or str(reply.get("customer") or "") != access.customer_id:
            return None
        today = self.today()
        suggestions = []
        for raw in reply.get("suggestions") or []:
            kind = str(raw.get("kind", ""))
            if kind not in replies.SUGGESTION_LABELS:
                continue
            read = _day(str(raw.get("on") or ""))
            suggestions.append(SuggestionLine(kind, replies.SUGGESTION_LABELS[kind], read, str(raw.get("excerpt", "")),
                                              _promise_until(kind, read, today)))
        invoices = self._invoices(access)
        return ReplyView(customer, reply, suggestions,
                         [CallLine(i, max(0, (today - i.due_date).days)) for i in invoices],
                         reviewed=str(reply.get("status", "")) == "reviewed")

    def act_on_reply(self, access: StaffAccess, kind: str, *, on: str = "", reason: str = "") -> Done:
        """Apply one of the reply's suggestions (``app.replies.apply_suggestion``), or close it without one
        (``dismissed``): the history says who (the link's manager) and when."""
        from . import replies

        if access.action != SUGGESTION:
            return Done(problem="Ce lien ne sert pas à traiter une réponse.")
        reply = self.store.reply(access.subject)
        if not reply or str(reply.get("customer") or "") != access.customer_id:
            return Done(problem="Cette réponse n’est plus disponible.")
        if str(reply.get("status", "")) == "reviewed":
            return Done(problem="Cette réponse a déjà été examinée.")
        reason = " ".join(reason.split())[:500]
        if kind == "dismissed":
            done = replies.review_reply(self.store, access.subject, by=access.manager, now=self.now(),
                                        decision="dismissed", note=reason)
            return Done(tuple(done)) if done else Done(problem="Cette réponse a déjà été examinée.")
        if kind not in replies.SUGGESTION_LABELS:
            return Done(problem="Choisissez une suggestion de la liste.")
        day: date | None = None
        if on.strip():
            try:
                day = date.fromisoformat(on.strip())
            except ValueError:
                return Done(problem="La date n’est pas lisible : choisissez-la dans le calendrier.")
            if kind == replies.intents.PROMISE and day < self.today():
                return Done(problem="La date promise ne peut pas être passée.")
        try:
            changed = replies.apply_suggestion(self.store, access.subject, kind, by=access.manager, now=self.now(),
                                               on=day, reason=reason)
        except replies.NotApplicable as err:
            return Done(problem=f"{str(err)[:1].upper()}{str(err)[1:]}.")
        except replies.UnknownReply:
            return Done(problem="Cette réponse n’est plus disponible.")
        return Done(tuple(changed))


    # -- an action awaiting approval (app.approvals) -------------------------------------------------------------

    def approval_view(self, access: StaffAccess, customer: Customer) -> ApprovalView | None:
        """The action an approval link is about, where it stands now; ``None`` when the link is not one."""
        from .approvals import step_of, what

        if access.action != APPROVAL or not access.invoices:
            return None
        invoice = self.store.checked_invoice(access.invoices[0])
        if not isinstance(invoice, Invoice) or invoice.customer_id != access.customer_id:
            return None
        approval = invoice.approval
        if approval is None or approval.step != access.subject:
            return ApprovalView(customer, CallLine(invoice, max(0, (self.today() - invoice.due_date).days)),
                                access.subject, "", "gone", None, "", "", None)
        step = step_of(self.rules, approval.scenario, approval.step) if approval.scenario else None
        rule = step.approval if step is not None else None
        deadline = rule.deadline(approval.requested_on) if rule is not None else None
        then = rule.then if rule is not None and rule.timeout_days is not None else ""
        return ApprovalView(customer, CallLine(invoice, max(0, (self.today() - invoice.due_date).days)),
                            approval.step, what(approval.channel), approval.state, approval.requested_on,
                            approval.by, then, deadline, approval.decided_on)

    def decide(self, access: StaffAccess, decision: str) -> Done:
        """Approve (it goes out on the next run) or hold (it does not, and the invoice waits for a person) the
        action the link is about: ``app.approvals.approve``/``hold``, as the command line, by the link's
        manager."""
        from . import approvals

        if access.action != APPROVAL or not access.invoices:
            return Done(problem="Ce lien ne sert pas à approuver un envoi.")
        invoice_id, step = access.invoices[0], access.subject
        decide = {"approve": approvals.approve, "hold": approvals.hold}.get(decision)
        if decide is None:
            return Done(problem="Choisissez d’approuver ou de retenir l’envoi.")
        made = decide(self.store, invoice_id, step, by=access.manager, on=self.today())
        if made.done:
            return Done((invoice_id,))
        if made.outcome == approvals.ALREADY:
            return Done(problem="C’est déjà fait : cette décision était enregistrée.")
        if made.state:
            state = STATE_WORDS.get(made.state, made.state)
            return Done(problem=f"Cet envoi n’attend plus de décision (il est {state}).")
        return Done(problem="Cet envoi n’attend plus de décision (facture réglée, étape passée ou décision prise).")


STATE_WORDS = {"pending": "en attente", "approved": "approuvé", "held": "retenu"}


def approval_link(links: StaffLinks, *, manager: str, customer_id: str, invoice_id: str, step: str) -> str:
    """The approve / hold link of one action awaiting approval, for the digest (``app.approvals.Awaiting``)."""
    return links.mint(manager=manager, action=APPROVAL, customer_id=customer_id, invoices=[invoice_id], subject=step)


def approval_links_of(links: StaffLinks) -> Callable[[Any], tuple[str, str]]:
    """The digest's hook (``app.approval_digest.ApprovalLinks``): one link per action awaiting approval, whose
    page asks to confirm the choice (a GET never decides: mail scanners open links) — approve, or hold."""

    def of(awaiting: Any) -> tuple[str, str]:
        url = approval_link(links, manager=awaiting.account_manager, customer_id=awaiting.customer,
                            invoice_id=awaiting.invoice, step=awaiting.step)
        return f"{url}?choix=approuver#decision", f"{url}?choix=retenir#decision"

    return of


@dataclass(frozen=True, slots=True)
class ApprovalView:
    customer: Customer
    line: CallLine
    step: str
    what: str  # « Mise en demeure en recommandé AR »
    state: str  # pending, approved, held; "gone": the invoice awaits no approval for this step any more
    requested_on: date | None
    by: str
    then: str  # what the timeout does: send, hold ("" : it waits for a person)
    deadline: date | None
    decided_on: date | None = None


def _promise_until(kind: str, read: date | None, today: date) -> date | None:
    from ..domain import replies as intents

    if kind == intents.DISPUTE:
        return None
    return intents.promise_until(intents.Suggestion(kind, read), today)


@dataclass(frozen=True, slots=True)
class SuggestionLine:
    kind: str
    label: str
    read_on: date | None  # the day read in the reply
    excerpt: str
    until: date | None  # what reminders would wait for, if applied


@dataclass(frozen=True, slots=True)
class ReplyView:
    customer: Customer
    reply: dict[str, Any]
    suggestions: list[SuggestionLine]
    lines: list[CallLine]
    reviewed: bool


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def reasons(rules: Rules) -> tuple[tuple[str, str], ...]:
    """The dispute reasons a person picks from: the rules' list (``portal.dispute_reasons``)."""
    return rules.portal.dispute_reasons


def describe(access: StaffAccess) -> dict[str, Any]:
    """What a log line may say of a link: its action, never the token, the manager or the customer."""
    return {"action": access.action}
