"""The collection report: KPIs at a date, as a self-contained HTML page and a CSV of the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..domain.email import build_email
from ..domain.fmt import longdate
from ..domain.model import Book
from ..domain.policy import Rules
from ..ports import Documents, EmailConfirmations, EmailSender, ReportStore
from ..report.csv import render_csv
from ..report.html import render_html
from ..report.kpis import compute_kpis
from .notifications import send_once


@dataclass(frozen=True, slots=True)
class Report:
    html: str
    csv: bytes


def build_report(book: Book, rules: Rules, on: date) -> Report:
    kpis = compute_kpis(book, rules, on)
    html = render_html(kpis, company_name=rules.company.name, on=on, rules_dir=rules.directory)
    return Report(html, render_csv(kpis))


def email_report(report: Report, *, rules: Rules, on: date, sender: EmailSender, now: datetime,
                 store: EmailConfirmations) -> str:
    """The weekly e-mail to the company contact, the page and the CSV attached."""
    from email.message import EmailMessage

    company = rules.company
    text = (f"Bonjour,\n\nVoici le tableau de bord des relances au {longdate(on)} : encours, retards par "
            "ancienneté, DSO, taux de recouvrement, et quelle relance fait payer.\n\nOuvrez la pièce jointe "
            "« tableau-de-bord.html » dans votre navigateur ; les mêmes chiffres sont dans le fichier CSV "
            "pour Excel.\n\nrelance")
    raw = build_email(sender_name=company.name, sender=company.email, to=[company.email],
                      subject=f"Tableau de bord des relances au {longdate(on)}", text=text,
                      attachments=(), message_id=f"report-{on.isoformat()}", sent_at=now)
    from email import message_from_bytes, policy

    message: EmailMessage = message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    message.add_attachment(report.html.encode("utf-8"), maintype="text", subtype="html",
                           filename=f"tableau-de-bord-{on.isoformat()}.html")
    message.add_attachment(report.csv, maintype="text", subtype="csv", filename=f"tableau-de-bord-{on.isoformat()}.csv")
    return send_once(store, sender, key=f"report-{on.isoformat()}", raw=message.as_bytes(),
                     sender_address=company.email, to=[company.email], reply_to=company.email)


def weekly_report(*, rules: Rules, on: date, store: ReportStore, documents: Documents, sender: EmailSender,
                  now: datetime) -> str:
    """The weekly report: built over the whole book, kept in the documents bucket, e-mailed to the company."""
    report = build_report(store.whole_book(), rules, on)
    documents.put(f"reports/{on.isoformat()}.html", report.html.encode("utf-8"), "text/html; charset=utf-8")
    documents.put(f"reports/{on.isoformat()}.csv", report.csv, "text/csv; charset=utf-8")
    return email_report(report, rules=rules, on=on, sender=sender, now=now, store=store)
