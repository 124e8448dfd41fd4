"""The injonction de payer dossier: one ZIP per debtor and case that a judge's clerk can read without us.

01-requete.pdf, 02-decompte.pdf, 03-chronologie.pdf, the exhibits under pieces/ (invoices when stored,
the formal notice and its AR), and manifest.json with the amounts, every piece's sha256 and the rules
version. The ZIP is deterministic: rebuilding the same case gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain.claim import REASONS, SMALL_CLAIMS_CEILING, Claim, Eligibility
from ..domain.courts import court_for, courts_of
from ..domain.fmt import longdate, money_json
from ..domain.model import Book, Customer, Invoice
from ..domain.policy import Rules
from ..letters import LetterLine, Sender, sender_from

ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed entry times: the same case gives the same archive
REQUETE, DECOMPTE, CHRONOLOGIE = "01-requete-injonction-de-payer.pdf", "02-decompte.pdf", "03-chronologie.pdf"
GUIDE = "00-LISEZ-MOI.txt"


@dataclass(frozen=True, slots=True)
class Piece:
    filename: str
    title: str
    data: bytes | None  # None: listed in the bordereau, to be attached by hand (not stored here)


def chronology_from_invoice(invoice: Invoice) -> list[dict[str, str]]:
    """The events an offline data file knows: the steps carried out and the payments."""
    events = [{"date": h.date.isoformat(), "kind": "sent", "channel": h.channel, "step": h.step}
              for h in invoice.history]
    events += [{"date": h.delivered_on.isoformat(), "kind": "ar_signed" if h.channel == "registered_letter"
                else "delivered", "channel": h.channel, "step": h.step}
               for h in invoice.history if h.delivered_on]
    events += [{"date": p.date.isoformat(), "kind": "payment", "amount": str(p.amount)} for p in invoice.payments]
    return sorted(events, key=lambda e: e["date"])


def sender_of(rules: Rules) -> Sender:
    return sender_from(rules.company)


def case_name(invoice: Invoice, customer: Customer, on: date) -> str:
    return f"injonction_{customer.id}_{invoice.id}_{on.isoformat()}"


@dataclass(frozen=True, slots=True)
class _Total:
    """The sums of a dossier of several invoices, as the filing guide reads them."""

    claims: Sequence[Claim]

    def _sum(self, name: str) -> Decimal:
        return sum((getattr(c, name) for c in self.claims), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self._sum("total")

    @property
    def principal(self) -> Decimal:
        return self._sum("principal")

    @property
    def interest(self) -> Decimal:
        return self._sum("interest")

    @property
    def indemnity(self) -> Decimal:
        return self._sum("indemnity")


def filing_guide(*, rules: Rules, invoices: Sequence[Invoice], customer: Customer, claim: Claim | _Total, on: date,
                 court_of: dict[str, str | None], exhibits: Sequence[str], missing: bool,
                 court_warning: str | None = None) -> str:
    """``00-LISEZ-MOI.txt``: what the person who files the dossier does with it, step by step (the template
    ``lisez-moi.fr.txt.j2``, which the rules directory may override)."""
    from ..texts import render_text

    return render_text("lisez-moi.fr.txt.j2", {
        "company": rules.company, "customer": customer, "invoices": invoices, "claim": claim, "on": on,
        "court": court_of, "court_warning": court_warning, "commercial": court_of["type"] == "tribunal_de_commerce",
        "exhibits": exhibits, "missing": missing, "small_claims": claim.total <= SMALL_CLAIMS_CEILING,
        "small_claims_ceiling": SMALL_CLAIMS_CEILING, "files": {"requete": REQUETE, "decompte": DECOMPTE},
    }, rules.directory)


def dossier_claim(claims: Sequence[Claim]) -> dict[str, Any]:
    """The claims of one debtor's dossier as one ``relance claim`` JSON: the sums added, each period tagged with
    its invoice, the court's warnings once; one claim alone is its own ``court_json()``."""
    if len(claims) == 1:
        return claims[0].court_json()
    first = claims[0]
    total = {name: money_json(sum((getattr(c, name) for c in claims), Decimal(0)))
             for name in ("principal", "interest", "indemnity", "total")}
    warnings = list(dict.fromkeys(w for c in claims for w in c.court_json()["warnings"]))
    return {"invoice": first.invoice, "on": first.on.isoformat(), "kind": first.kind, **total,
            "periods": [p.as_json() | {"invoice": c.invoice} for c in claims for p in c.periods],
            "warnings": warnings}


def build_dossier(*, rules: Rules, invoice: Invoice, customer: Customer, claim: Claim, on: date,
                  chronology: Sequence[dict[str, str]], invoice_pdfs: dict[str, bytes],
                  notice: Piece | None, proof: Piece | None,
                  others: Sequence[tuple[Invoice, Claim]] = ()) -> tuple[bytes, dict[str, Any]]:
    """The dossier's ZIP and its manifest: ``invoice`` and the debtor's ``others`` in one requête (SPEC §5)."""
    from .documents import DossierFacts, Exhibit, render_chronologie, render_decompte, render_requete

    cases = [(invoice, claim), *others]
    claims = [c for _, c in cases]
    court_claim = dossier_claim(claims)
    # An invoice's exhibit is its PDF, or the original of an e-invoice received as UBL or CII XML (app.exhibits).
    pieces: list[Piece] = [_invoice_piece(n, i, invoice_pdfs.get(i.id)) for n, (i, _) in enumerate(cases, start=1)]
    notice, proof = _notice_and_receipt(chronology, notice, proof)
    for extra in (notice, proof):
        if extra is not None:
            pieces.append(Piece(f"pieces/piece-{len(pieces) + 1:02d}-{extra.filename}", extra.title, extra.data))
    # The décompte and the chronology are exhibits too; they sit at the top of the archive.
    generated = [Piece(DECOMPTE, f"Décompte des sommes dues au {longdate(on)}", None),
                 Piece(CHRONOLOGIE, "Chronologie des relances et des paiements", None)]
    exhibits = tuple(Exhibit(i + 1, p.title, p.filename.rsplit("/", 1)[-1])
                     for i, p in enumerate([*pieces, *generated]))
    total = sum((c.total for c in claims), Decimal(0))
    court = court_for(customer, courts_of(rules), total, on)
    court_of = court.as_json()
    facts = DossierFacts(
        creditor=sender_of(rules), debtor_name=customer.name, debtor_kind=customer.kind,
        debtor_legal_form=customer.legal_form or (str(customer.extra.get("legal_form", "")) if customer.extra else ""),
        debtor_siren=customer.siren, debtor_address=customer.address,
        invoices=tuple(LetterLine(i.id, i.issue_date, i.due_date, i.amount, c.principal) for i, c in cases),
        claims=tuple(claims), court=court_of, small_claims_eligible=total <= SMALL_CLAIMS_CEILING,
        chronology=tuple(chronology), exhibits=exhibits, place=rules.company.address.city, on=on,
        cgv_rate=None if rules.legal.late_interest == "legal" else str(rules.legal.late_interest),
        rules_dir=rules.directory)
    files: list[tuple[str, bytes]] = [(REQUETE, render_requete(facts)), (DECOMPTE, render_decompte(facts)),
                                      (CHRONOLOGIE, render_chronologie(facts))]
    missing = [p for p in pieces if p.data is None]
    files.insert(0, (GUIDE, filing_guide(rules=rules, invoices=[i for i, _ in cases], customer=customer,
                                         claim=claim if not others else _Total(claims), on=on,
                                         court_of=court_of, court_warning=court.warning,
                                         exhibits=[e.title for e in exhibits],
                                         missing=bool(missing)).encode("utf-8")))
    files += [(p.filename, p.data) for p in pieces if p.data is not None]
    if missing:
        note = ("Pièces à joindre avant le dépôt (elles ne sont pas conservées par relance) :\n"
                + "".join(f"- {p.filename.rsplit('/', 1)[-1]} : {p.title}\n" for p in missing))
        files.append(("pieces/A-JOINDRE.txt", note.encode("utf-8")))
    manifest = {
        "invoice": invoice.id, "invoices": [i.id for i, _ in cases], "customer": customer.id, "on": on.isoformat(),
        "claim": claim.as_json() if not others else court_claim,
        **({"claims": [c.as_json() for c in claims]} if others else {}),
        "court": court_of, "small_claims_eligible": total <= SMALL_CLAIMS_CEILING,
        "rules_version": rules.digest,
        "pieces": [{"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                   for name, data in files],
        "missing": [p.filename.rsplit("/", 1)[-1] for p in missing],
    }
    files.append(("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(f"{case_name(invoice, customer, on)}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue(), manifest


def _invoice_piece(n: int, invoice: Invoice, data: bytes | None) -> Piece:
    title = f"Facture n° {invoice.id} du {longdate(invoice.issue_date)}"
    if data is not None and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":  # XML, a byte-order mark or not
        return Piece(f"pieces/piece-{n:02d}-facture-{invoice.id}.xml",
                     f"{title} (facture électronique, fichier XML original)", data)
    return Piece(f"pieces/piece-{n:02d}-facture-{invoice.id}.pdf", title, data)


def _notice_and_receipt(chronology: Sequence[dict[str, Any]], notice: Piece | None,
                        proof: Piece | None) -> tuple[Piece | None, Piece | None]:
    """The formal notice and its AR as the bordereau lists them, whoever recorded them: a copy or an AR relance
    does not hold (a notice sent before relance took over, an AR not yet scanned) is listed all the same, to be
    attached by hand — and an AR not received says so."""
    from .history import events_of, formal_notice

    sent = formal_notice(events_of(chronology))
    if sent is None:
        return notice, proof
    if notice is None:
        notice = Piece("mise-en-demeure.pdf", f"Mise en demeure par lettre recommandée avec AR du "
                                              f"{longdate(sent.sent)}", None)
    signed = sent.ar_signed or sent.received
    if proof is not None:
        if signed is not None and proof.title == "Accusé de réception signé":
            proof = Piece(proof.filename, f"Avis de réception de la mise en demeure, signé le {longdate(signed)}",
                          proof.data)
        return notice, proof
    if signed is not None:
        return notice, Piece("avis-de-reception.pdf", f"Avis de réception de la mise en demeure, signé le "
                                                      f"{longdate(signed)}", None)
    return notice, Piece("avis-de-reception.pdf", f"Avis de réception de la mise en demeure du {longdate(sent.sent)} : "
                                                  "non revenu à ce jour, à joindre dès son retour", None)


def formal_notice_copy(rules: Rules, invoice: Invoice, customer: Customer) -> Piece | None:
    """Offline: the formal notice rebuilt from the rules and the data, as it was written on its date."""
    from ..app.deliver import ChannelMessage, MessageAction, ReadyMessage, letter_document
    from ..domain.render import render_message
    from ..letters.pdf import render_letter_pdf

    notices = [h for h in invoice.history if h.channel == "registered_letter"]
    if not notices:
        return None
    notice = notices[-1]
    scenario = next((s for s in rules.scenarios.values() if any(st.id == notice.step for st in s.steps)), None)
    step = next((st for st in scenario.steps if st.id == notice.step), None) if scenario else None
    if step is None:
        return None
    # An invoice whose milder step joined a registered letter (SPEC §2.8) went out with that letter's tone: its
    # history says so, and the step's own template is for the step's own channel.
    tone = notice.tone or step.tone
    template = step.template if step.channel == "registered_letter" and tone == step.tone else None
    rendered = render_message(rules, customer=customer, invoices=[invoice], channel="registered_letter",
                              tone=tone, step_id=step.id, at=step.at_label, template=template,
                              today=notice.date)
    message = ChannelMessage("copie", notice.date, customer.id, "registered_letter", tone,
                             (MessageAction(invoice.id, step.id, "", scenario.name),))
    pdf = render_letter_pdf(letter_document(rules, ReadyMessage(message, customer, [invoice], step, rendered), True,
                                            notice.date))
    return Piece("mise-en-demeure.pdf", f"Mise en demeure par lettre recommandée avec AR du {longdate(notice.date)}"
                 + (f", reçue le {longdate(notice.delivered_on)}" if notice.delivered_on else ""), pdf)


def build_from_book(*, rules: Rules, book: Book, invoice: Invoice, claim: Claim, on: date, out_dir: Path,
                    others: Sequence[tuple[Invoice, Claim]] = ()) -> Path:
    """`relance dossier`: the ZIP from an offline data file, the debtor's ``others`` in the same dossier."""
    customer = book.customers[invoice.customer_id]
    chronology = [e | {"invoice": i.id} for i in (invoice, *(o for o, _ in others))
                  for e in chronology_from_invoice(i)]
    archive, _ = build_dossier(rules=rules, invoice=invoice, customer=customer, claim=claim, on=on,
                               chronology=sorted(chronology, key=lambda e: e["date"]), invoice_pdfs={},
                               notice=formal_notice_copy(rules, invoice, customer), proof=None, others=others)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{case_name(invoice, customer, on)}.zip"
    path.write_bytes(archive)
    return path


def debtor_dossier(book: Book, invoice: Invoice, rules: Rules,
                   on: date) -> tuple[Eligibility, list[tuple[Invoice, Claim]]]:
    """SPEC §5, one dossier per debtor: ``invoice``'s verdict and the debtor's other invoices eligible on ``on``,
    each by its own reasons; ``below_minimum`` applies to the dossier's total."""
    from ..domain.claim import eligibility, rates_of

    customer = book.customers[invoice.customer_id]
    rates = rates_of(rules)

    def verdict_of(item: Invoice) -> Eligibility:
        return eligibility(item, customer, rules.legal, rules.company.missing(), on, rates)

    lead = verdict_of(invoice)
    others = []
    for item in sorted(book.invoices, key=lambda i: i.id):
        if item.customer_id != invoice.customer_id or item.id == invoice.id:
            continue
        verdict = verdict_of(item)
        if not [r for r in verdict.reasons if r != "below_minimum"]:
            others.append((item, verdict.claim))
    own = [r for r in lead.reasons if r != "below_minimum"]
    total = lead.claim.total + sum((c.total for _, c in others), Decimal(0))
    reasons = own + (["below_minimum"] if total < rules.legal.litigation_min_amount else [])
    reasons = [r for r in REASONS if r in reasons]
    if reasons:
        others = []
    return Eligibility(eligible=not reasons, reasons=reasons, claim=lead.claim), others


def chronology_events(invoice: Invoice, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The dossier's facts for one invoice, whoever recorded them: relance's own events, and the steps of the
    history it did not carry out itself (imported from the accounting or the data file) with their delivery."""
    own_steps = {e.get("step") for e in events if e.get("step")}
    imported = [e for e in chronology_from_invoice(invoice) if e.get("step") and e["step"] not in own_steps]
    return [{**e, "invoice": invoice.id} for e in (*events, *imported)]
