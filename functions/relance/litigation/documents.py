"""The three PDFs of the injonction de payer dossier: the requête, the décompte and the chronology.

Pure: ``DossierFacts`` in, PDF bytes out; the same facts give the same bytes (the creation date is the
dossier's date, the file id a hash of the content). Same house style as the postal letter (A4, DejaVu, the
creditor's letterhead on every page, « Page n/N » in the footer), whose fonts and constants are reused.

The requête carries every mention of CPC art. 1407 (with art. 57): both parties' identities, the exact
amount with the breakdown of its elements, the legal basis, the bordereau of the exhibits, place, date and
signature. Nothing here decides whether a case may go to court: eligibility is the claim module's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from ..domain.fmt import NNBSP, group_siren, longdate, money, percent, shortdate
from ..domain.labels import CHANNEL_TITLES as CHANNEL_LABELS
from ..domain.labels import CHANNEL_WAYS, DELIVERED_LABELS, SENT_LABELS
from ..domain.labels import EVENT_LABELS as KIND_LABELS
from ..domain.model import Address
from ..letters import LetterLine, Sender, capital_text, identity_text
from ..letters.pdf import (
    BODY_LINE,
    BODY_SIZE,
    CONTENT_W,
    COUNTRY_NAMES,
    DOMESTIC,
    FONT,
    FOOTER_TOP,
    GREY,
    LIGHT,
    MARGIN,
    PAGE_W,
    PARAGRAPH_GAP,
    SMALL_SIZE,
    TABLE_COLUMNS,
    TABLE_FILL,
    TOP,
    first_that_fits,
    fit_text,
    set_up_document,
)


@dataclass(frozen=True, slots=True)
class Exhibit:
    """One piece of the bordereau: its number, what the court reads, and its file in the dossier."""

    number: int
    title: str  # « Facture n° F-2026-0305 du 1er juillet 2026 »
    filename: str  # "piece-01-facture-F-2026-0305.pdf"


@dataclass(frozen=True, slots=True)
class DossierFacts:
    """Everything the three documents say; gathered by the dossier builder, nothing looked up here."""

    creditor: Sender
    debtor_name: str
    debtor_kind: str  # "business" | "consumer"
    debtor_legal_form: str
    debtor_siren: str
    debtor_address: Address
    invoices: tuple[LetterLine, ...]
    claim: dict[str, Any]  # SPEC §4 ``relance claim`` JSON: money as strings, ``periods``, ``warnings``
    court: dict[str, str | None]  # {"type": "tribunal_de_commerce" | "tribunal_judiciaire" | None, "city", "name"}
    small_claims_eligible: bool
    chronology: tuple[dict[str, Any], ...]  # history events: {"date", "kind", "channel", "step", …} as strings
    exhibits: tuple[Exhibit, ...]
    place: str  # « Fait à <place>, le <on> »
    on: date
    cgv_rate: str | None = None  # the CGV's late-payment rate ("15") when it replaces BCE + 10 points


# --- the three documents ------------------------------------------------------------------------------------

REQUETE_TITLE = "REQUÊTE EN INJONCTION DE PAYER"
SIGNATURE_H = 64.0  # « Sous toutes réserves », place and date, signatory, room to sign
NO = "n°\u00a0"  # « n° 1 » never breaks after « n° »


def render_requete(f: DossierFacts) -> bytes:
    """The request to the court (CPC art. 1405 s.), with its bordereau of exhibits."""
    if not _small_claims_note(f):
        return bytes(_requete(f).output())
    # The note on the small-claims procedure speaks to the creditor, not to the judge: it gets its own last
    # page, outside the request's numbering (« Page n/N » counts the request's pages only), so the creditor
    # can leave it out of what is filed. A first layout counts those pages.
    pdf = _requete(f, numbered=_requete(f).pages_count)
    _small_claims_page(pdf, f)
    return bytes(pdf.output())


def render_decompte(f: DossierFacts) -> bytes:
    """The claim computed period by period: days, rates, bases, amounts, then the totals."""
    sums = _Sums.of(f.claim)
    pdf = _DossierPdf(f, "Décompte des sommes dues", "Décompte")
    pdf.add_page()
    pdf.title_block(f"Décompte des sommes dues au {longdate(sums.on)}", _case_line(f))
    pdf.heading("Factures impayées")
    _invoice_table(pdf, f.invoices)
    payments = [e for e in _events(f) if e.kind in PAYMENT_KINDS and e.amount is not None]
    if payments:
        pdf.heading("Paiements reçus")
        _grid(pdf, (("Date", 40.0, "L"), ("Événement", 90.0, "L"), ("Montant", 40.0, "R")),
              [(_day(e.day), _label(e), money(e.amount or 0)) for e in payments])
    pdf.heading(_interest_heading(f))
    pdf.para(_interest_basis(f, sums))
    if sums.periods:
        _interest_rule_and_periods(pdf, f, sums)
    pdf.heading("Récapitulatif")
    _summary_table(pdf, f, sums)
    if sums.periods:
        pdf.para(_after_on(f, sums))
    if sums.warnings:
        pdf.heading("Observations")
        pdf.bullets(sums.warnings)
    pdf.para(f"Décompte établi le {longdate(f.on)} par {f.creditor.name}.", align=Align.L, size=SMALL_SIZE,
             colour=GREY)
    return bytes(pdf.output())


def _interest_rule_and_periods(pdf: _DossierPdf, f: DossierFacts, sums: _Sums) -> None:
    pdf.para("Intérêts simples : base × taux × jours / 365 pour chaque période, chaque jour au taux de son "
             "semestre ; les montants des périodes, affichés ici au centime, sont additionnés sans arrondi et "
             "le total est arrondi une seule fois, au centime le plus proche.")
    _periods_table(pdf, f, sums)


def render_chronologie(f: DossierFacts) -> bytes:
    """Every reminder, call, letter, delivery and payment of the history, by date, in French."""
    pdf = _DossierPdf(f, "Chronologie des relances et paiements", "Chronologie")
    pdf.add_page()
    pdf.title_block("Chronologie des relances et paiements", _case_line(f))
    invoices = "; ".join(f"facture {NO}{line.invoice} du {shortdate(line.issue_date)}, échue le "
                         f"{shortdate(line.due_date)}, {money(line.amount)} TTC" for line in f.invoices)
    if invoices:
        pdf.para(f"Objet : {invoices}.", align=Align.L, size=9.5)
    rows = [(_day(e.day), _event_text(e), _channel_label(e.channel), _references(e, len(f.invoices) > 1))
            for e in _timeline(f)]
    _grid(pdf, (("Date", 20.0, "L"), ("Événement", 55.0, "L"), ("Canal", 31.0, "L"), ("Références", 64.0, "L")),
          rows, size=8.5)
    pdf.para(f"Chronologie établie le {longdate(f.on)} à partir de l’historique des relances tenu par "
             f"{f.creditor.name}. Les dates sont celles des envois, des avis de distribution du prestataire "
             "postal et des paiements enregistrés.", align=Align.L, size=SMALL_SIZE, colour=GREY)
    return bytes(pdf.output())


# --- the requête --------------------------------------------------------------------------------------------

def _requete(f: DossierFacts, numbered: int | None = None) -> _DossierPdf:
    sums = _Sums.of(f.claim)
    consumer = f.debtor_kind == "consumer"
    pdf = _DossierPdf(f, "Requête en injonction de payer", "Requête en injonction de payer", numbered=numbered)
    pdf.add_page()
    _addressee(pdf, f)
    pdf.title_block(REQUETE_TITLE, "(articles 1405 et suivants du Code de procédure civile)", size=15)

    pdf.heading("À LA REQUÊTE DE :", gap=1)
    pdf.para(_creditor_identity(f.creditor))
    contact = " – ".join(p for p in (f"Courriel : {f.creditor.email}" if f.creditor.email else "",
                                     f"Téléphone : {f.creditor.phone}" if f.creditor.phone else "") if p)
    if contact:
        pdf.para(contact, align=Align.L, size=9, colour=GREY)
    pdf.para("ci-après « le requérant » ;", align=Align.L)
    pdf.heading("CONTRE :", gap=1)
    pdf.para(_debtor_identity(f))
    pdf.para("ci-après « le débiteur ».", align=Align.L)
    pdf.para("Le requérant a l’honneur de vous exposer ce qui suit :", align=Align.L, style="B")

    pdf.heading("1. La créance")
    pdf.para(_facts_paragraph(f))
    _invoice_table(pdf, f.invoices)
    due = max((line.due_date for line in f.invoices), default=None)
    if due is not None:
        since = (f"depuis le {longdate(due)}" if len(f.invoices) == 1
                 else "depuis l’échéance de chacune des factures, la dernière le " + longdate(due))
        pdf.para(f"Cette créance, de nature contractuelle, est d’un montant déterminé ; elle est certaine, liquide "
                 f"et exigible {since}.")

    pdf.heading("2. Les démarches amiables et la mise en demeure")
    pdf.para(_reminders_paragraph(f))

    pdf.heading("3. Le fondement de la demande")
    for paragraph in _legal_basis(f, sums):
        pdf.para(paragraph)

    pdf.heading("4. Le montant réclamé")
    decompte = _pieces(f, "décompte")
    pdf.para(f"Selon le décompte arrêté au {longdate(sums.on)}{_cite(decompte)}, le débiteur reste "
             "redevable des sommes suivantes :")
    _summary_table(pdf, f, sums)
    pdf.para(f"le tout outre les intérêts postérieurs au {longdate(sums.on)}, jusqu’à parfait paiement.")

    _dispositif(pdf, f, sums, consumer)
    _signature(pdf, f)
    _bordereau(pdf, f)
    return pdf


def _addressee(pdf: _DossierPdf, f: DossierFacts) -> None:
    x = 100.0
    pdf.set_font(FONT, "B", 11)
    pdf.set_x(x)
    pdf.multi_cell(PAGE_W - MARGIN - x, 5.5, pdf.t(f"À {_judge(f)}\n{_court_name(f)}"),
                   align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)


def _judge(f: DossierFacts) -> str:
    return "Madame, Monsieur le Juge" if _court_type(f) == "tribunal_judiciaire" else "Madame, Monsieur le Président"


def _court_type(f: DossierFacts) -> str:
    kind = f.court.get("type", "")
    if kind in ("tribunal_de_commerce", "tribunal_judiciaire"):
        return kind
    return "tribunal_judiciaire" if f.debtor_kind == "consumer" else "tribunal_de_commerce"


def _court_name(f: DossierFacts) -> str:
    """« du tribunal des activités économiques de Lyon », « de la chambre commerciale du tribunal judiciaire de
    Metz »: the exact name from the table of courts; never a court made up from the debtor's city — unknown,
    the header says « compétent » and the filing guide says how to find it."""
    name = (f.court.get("name") or "").strip()
    if name:
        return f"de la {name}" if name.lower().startswith("chambre") else f"du {name}"
    if _court_type(f) == "tribunal_judiciaire":
        return "du tribunal judiciaire compétent"
    return "du tribunal de commerce compétent"


def _facts_paragraph(f: DossierFacts) -> str:
    several = len(f.invoices) > 1
    what = "les factures suivantes" if several else "la facture suivante"
    left = "demeurées impayées" if several else "demeurée impayée"
    cited = _cite(sorted({n for line in f.invoices for n in _pieces(f, line.invoice)}))
    if f.debtor_kind == "consumer":
        return (f"En exécution du contrat conclu entre les parties et conformément à ses conditions générales de "
                f"vente, le requérant a émis à l’ordre de {f.debtor_name} {what}{cited}, {left} à ce jour :")
    return (f"Dans le cadre de leurs relations commerciales et conformément à ses conditions générales de vente, le "
            f"requérant a émis à l’ordre du débiteur {what}{cited}, {left} à ce jour :")


def _reminders_paragraph(f: DossierFacts) -> str:
    events = _events(f)
    days = sorted({(e.day, e.message_key or e.kind, e.channel) for e in events if e.day is not None
                   and e.kind == "sent" and e.channel not in ("registered_letter", "litigation")})
    reminders = [(day, channel) for day, _, channel in days if day is not None]
    calls = any(e.kind in CALLS_MADE for e in events)  # a call only queued (call_task) was not made
    parts = []
    if reminders:
        first, last, count = reminders[0][0], reminders[-1][0], len(reminders)
        plural = "s" if count > 1 else ""
        span = f"le {longdate(first)}" if first == last else f"entre le {longdate(first)} et le {longdate(last)}"
        ways = _join(sorted({CHANNEL_WAYS.get(channel, "") for _, channel in reminders} - {""}))
        text = f"Le requérant a adressé au débiteur {count} relance{plural} amiable{plural} {ways} {span}"
        if calls:
            text += f", complétée{plural} par une relance téléphonique"
        parts.append(" ".join(text.split()) + _cite(_pieces(f, "chronologie")) + ".")
    notice = _formal_notice(f)
    if notice is not None:
        tracking = f"envoi {NO}{notice.tracking}" if notice.tracking else ""
        receipt = _pieces(f, "avis de réception") or _pieces(f, "accusé de réception")
        letter = [n for n in _pieces(f, "mise en demeure") if n not in receipt]
        text = (f"Par lettre recommandée avec demande d’avis de réception du {longdate(notice.sent)}"
                f"{_cite(letter, tracking)}, il l’a mis en demeure de régler les sommes dues")
        if notice.received is not None:
            text += f" ; cette lettre a été reçue le {longdate(notice.received)}"
            if notice.ar_signed is not None:
                text += f", comme en atteste l’avis de réception signé{_cite(receipt)}"
        elif notice.returned is not None:
            text += f" ; ce pli, non réclamé, a été retourné à l’expéditeur le {longdate(notice.returned)}"
        parts.append(text + ".")
        parts.append("Cette mise en demeure est restée sans effet.")
    elif reminders:
        parts.append("Ces relances sont restées sans effet.")
    else:
        parts.append("Le débiteur ne s’est pas acquitté de sa dette à l’échéance.")
    return " ".join(parts)


def _legal_basis(f: DossierFacts, sums: _Sums) -> list[str]:
    if f.debtor_kind == "consumer":
        notice = _formal_notice(f)
        start = f" du {longdate(notice.received or notice.sent)}" if notice else ""
        rate = f", soit {_rates(sums)} l’an" if sums.periods else ""
        return [
            "La créance résulte des factures susvisées, émises en exécution du contrat conclu entre les parties et "
            "des conditions générales de vente du requérant, que le débiteur a acceptées.",
            "En application de l’article 1231-6 du Code civil, les dommages et intérêts dus à raison du retard dans "
            "le paiement d’une obligation de somme d’argent consistent dans l’intérêt au taux légal, à compter de "
            f"la mise en demeure{start}. Le taux applicable est celui fixé pour chaque semestre en application de "
            f"l’article L313-2 du Code monétaire et financier pour les créances des professionnels{rate}.",
        ]
    if f.cgv_rate:
        rate = (f"au taux de {percent(f.cgv_rate)} l’an prévu par les conditions générales de vente du requérant, "
                "taux qui ne peut être inférieur à trois fois le taux d’intérêt légal")
    else:
        rate = ("au taux d’intérêt appliqué par la Banque centrale européenne à son opération de refinancement la "
                "plus récente, majoré de dix points de pourcentage, le taux applicable pour chaque semestre étant "
                "celui en vigueur au 1er janvier ou au 1er juillet" + (f", soit {_rates(sums)} l’an" if sums.periods
                                                                         else ""))
    paragraphs = [
        "La créance résulte des factures susvisées, émises en exécution des commandes du débiteur et des "
        "conditions générales de vente du requérant, dont les conditions de règlement figurent sur chaque facture.",
        "En application de l’article L441-10 du Code de commerce, les sommes non réglées à la date d’échéance "
        "portent de plein droit, sans qu’un rappel soit nécessaire, des pénalités de retard exigibles dès le jour "
        f"suivant cette date, {rate}.",
    ]
    if sums.indemnity > 0:
        paragraphs.append(
            "Le même article rend tout professionnel en situation de retard de paiement débiteur de plein droit "
            "d’une indemnité forfaitaire pour frais de recouvrement, dont l’article D441-5 du Code de commerce "
            f"fixe le montant à 40{NNBSP}€ par facture, soit {money(sums.indemnity)}.")
    return paragraphs


def _dispositif(pdf: _DossierPdf, f: DossierFacts, sums: _Sums, consumer: bool) -> None:
    pdf.keep(BODY_LINE * 10)
    pdf.heading("PAR CES MOTIFS,", gap=2)
    seen = ["Vu les articles 1405 et suivants du Code de procédure civile,"]
    seen.append("Vu l’article 1231-6 du Code civil," if consumer
                else "Vu les articles L441-10 et D441-5 du Code de commerce,")
    seen.append("Vu les pièces produites au soutien de la présente requête,")
    for line in seen:
        pdf.para(line, align=Align.L, gap=0.5)
    pdf.ln(2)
    pdf.para(f"Plaise à {_judge(f)} de bien vouloir :", align=Align.L, style="B")
    debtor, creditor = _designation_of_debtor(f), _designation(f.creditor.name, f.creditor.legal_form)
    pdf.bullets([f"ENJOINDRE à {debtor} de payer à {creditor} la somme de {money(sums.total)}, soit :"])
    details = [f"{money(sums.principal)} en principal ;"]
    if sums.interest > 0:
        what = "des intérêts au taux légal arrêtés" if consumer else "des pénalités de retard arrêtées"
        details.append(f"{money(sums.interest)} au titre {what} au {longdate(sums.on)} ;")
    if sums.indemnity > 0 and not consumer:
        details.append(f"{money(sums.indemnity)} au titre de l’indemnité forfaitaire pour frais de recouvrement ;")
    pdf.bullets(details, indent=12, mark="•")
    pdf.para(_later_interest(f, sums), indent=7)
    pdf.keep(BODY_LINE + SIGNATURE_H)  # the signature never stands alone: the last request comes with it
    pdf.bullets([f"CONDAMNER {debtor} aux dépens."])


def _later_interest(f: DossierFacts, sums: _Sums) -> str:
    start = longdate(sums.on + timedelta(days=1))
    base = f"sur la somme de {money(sums.principal)} en principal à compter du {start} et jusqu’à parfait paiement ;"
    if f.debtor_kind == "consumer":
        return f"avec intérêts au taux légal {base}"
    if f.cgv_rate:
        return f"avec intérêts, au titre des pénalités de retard, au taux de {percent(f.cgv_rate)} l’an {base}"
    return ("avec intérêts, au titre des pénalités de retard, au taux de refinancement de la Banque centrale "
            f"européenne majoré de dix points {base}")


def _signature(pdf: _DossierPdf, f: DossierFacts) -> None:
    """Place, date and signature stay together: a signature alone on a page signs nothing."""
    pdf.keep(SIGNATURE_H)
    pdf.ln(2)
    pdf.para("SOUS TOUTES RÉSERVES", align=Align.L, style="B", gap=4)
    pdf.para(f"Fait {_at(f.place)}, le {longdate(f.on)}", align=Align.L)
    x, width = 105.0, PAGE_W - MARGIN - 105.0
    pdf.set_font(FONT, size=BODY_SIZE)
    lines = [f"Pour {_designation(f.creditor.name, f.creditor.legal_form)},"]
    lines.append(f.creditor.signatory or "son représentant légal")
    pdf.set_x(x)
    pdf.multi_cell(width, BODY_LINE, pdf.t("\n".join(lines)), align=Align.L, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(14)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(x, pdf.get_y(), x + 60, pdf.get_y())
    pdf.set_xy(x, pdf.get_y() + 1)
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(60, 4, "Signature", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)


def _bordereau(pdf: _DossierPdf, f: DossierFacts) -> None:
    pdf.keep(BODY_LINE * 4 + 8 * min(len(f.exhibits), 3))
    pdf.rule()
    pdf.heading("Bordereau de pièces", gap=0.5)
    pdf.para(f"communiquées à l’appui de la requête présentée par {f.creditor.name} contre {f.debtor_name}",
             align=Align.L, size=9, colour=GREY)
    label_w = 25.0
    for exhibit in sorted(f.exhibits, key=lambda e: e.number):
        pdf.set_font(FONT, size=BODY_SIZE)
        lines = len(pdf.multi_cell(CONTENT_W - label_w, BODY_LINE, pdf.t(exhibit.title), dry_run=True,
                                   output="LINES"))
        if pdf.will_page_break(lines * BODY_LINE + 5):
            pdf.add_page()
            pdf.heading("Bordereau de pièces (suite)", gap=0.5)
        pdf.set_font(FONT, "B", BODY_SIZE)
        pdf.set_x(MARGIN)
        pdf.cell(label_w, BODY_LINE, f"Pièce {NO}{exhibit.number}")
        pdf.set_font(FONT, size=BODY_SIZE)
        pdf.multi_cell(CONTENT_W - label_w, BODY_LINE, pdf.t(exhibit.title), align=Align.L, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.set_x(MARGIN + label_w)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*GREY)
        pdf.cell(CONTENT_W - label_w, 3.8, pdf.t(fit_text(pdf, f"fichier {exhibit.filename}", CONTENT_W - label_w)),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.2)


def _small_claims_note(f: DossierFacts) -> bool:
    return f.debtor_kind == "consumer" and f.small_claims_eligible


def _small_claims_page(pdf: _DossierPdf, f: DossierFacts) -> None:
    pdf.add_page()
    pdf.note_page = True  # after the break: the request's last page keeps its own footer
    pdf.title_block("Note au créancier", "Ne fait pas partie de la requête : à retirer avant le dépôt au greffe.",
                    size=13)
    sums = _Sums.of(f.claim)
    paragraphs = [
        f"La créance réclamée ({money(sums.total)}) n’excède pas 5 000 €. Avant de saisir le juge, ou à la place "
        "de la présente requête, le créancier peut recourir à la procédure simplifiée de recouvrement des petites "
        "créances (article L125-1 du Code des procédures civiles d’exécution, articles R125-1 et suivants).",
        "Elle est conduite par un commissaire de justice, à la demande du créancier : celui-ci invite le débiteur, "
        "par lettre recommandée avec demande d’avis de réception ou par voie électronique, à participer à la "
        "procédure. Si le débiteur accepte le montant et les modalités de paiement dans le délai d’un mois, le "
        "commissaire de justice délivre, sans intervention du juge, un titre exécutoire.",
        "À défaut de réponse ou d’accord, la présente requête en injonction de payer peut être déposée auprès "
        f"{_court_name(f)}.",
    ]
    _boxed(pdf, "Procédure simplifiée de recouvrement des petites créances", paragraphs)


def _boxed(pdf: _DossierPdf, title: str, paragraphs: Sequence[str]) -> None:
    inner = CONTENT_W - 10
    pdf.set_font(FONT, size=BODY_SIZE)
    height = 12 + sum(len(pdf.multi_cell(inner, BODY_LINE, pdf.t(p), dry_run=True, output="LINES")) * BODY_LINE
                      + PARAGRAPH_GAP for p in paragraphs)
    pdf.keep(height + 4)
    top = pdf.get_y()
    pdf.set_fill_color(*TABLE_FILL)
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN, top, CONTENT_W, height, style="DF")
    pdf.set_xy(MARGIN + 5, top + 4)
    pdf.set_font(FONT, "B", BODY_SIZE)
    pdf.multi_cell(inner, BODY_LINE, pdf.t(title), align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, size=BODY_SIZE)
    for paragraph in paragraphs:
        pdf.set_x(MARGIN + 5)
        pdf.multi_cell(inner, BODY_LINE, pdf.t(paragraph), align=Align.J, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.ln(PARAGRAPH_GAP)
    pdf.set_line_width(0.2)
    pdf.set_xy(MARGIN, top + height + 5)


# --- identities ---------------------------------------------------------------------------------------------

COMPANY_FORMS = {
    "SAS": "société par actions simplifiée", "SASU": "société par actions simplifiée unipersonnelle",
    "SARL": "société à responsabilité limitée", "EURL": "entreprise unipersonnelle à responsabilité limitée",
    "SA": "société anonyme", "SNC": "société en nom collectif", "SCS": "société en commandite simple",
    "SCA": "société en commandite par actions", "SCI": "société civile immobilière", "SC": "société civile",
    "SCOP": "société coopérative de production", "SCM": "société civile de moyens",
    "SELARL": "société d’exercice libéral à responsabilité limitée",
    "SELAS": "société d’exercice libéral par actions simplifiée", "SE": "société européenne",
}
INDIVIDUAL_FORMS = {"EI", "EIRL", "ENTREPRENEUR INDIVIDUEL", "ENTREPRISE INDIVIDUELLE", "MICRO-ENTREPRENEUR",
                    "MICRO-ENTREPRISE", "AUTO-ENTREPRENEUR"}


def _form_key(form: str) -> str:
    return form.strip().upper().replace(".", "")


def _designation(name: str, legal_form: str) -> str:
    """How the request names a business party: « la société Atelier Bois & Fils », an individual by name."""
    key = _form_key(legal_form)
    if key in COMPANY_FORMS:
        return f"la société {name}"
    if key == "ASSOCIATION":
        return f"l’association {name}"
    return name


def _designation_of_debtor(f: DossierFacts) -> str:
    if f.debtor_kind == "consumer":
        return f.debtor_name
    return _designation(f.debtor_name, f.debtor_legal_form)


def _form_text(legal_form: str) -> str:
    key = _form_key(legal_form)
    if key in COMPANY_FORMS:
        return f"{COMPANY_FORMS[key]} ({legal_form.strip()})"
    if key in INDIVIDUAL_FORMS:
        return "entrepreneur individuel"
    return legal_form.strip()


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _creditor_identity(c: Sender) -> str:
    individual = _form_key(c.legal_form) in INDIVIDUAL_FORMS
    parts = [_capitalised(_designation(c.name, c.legal_form))]
    if c.legal_form.strip():
        capital = f" au capital de {capital_text(c.share_capital)}" if c.share_capital and not individual else ""
        parts.append(_form_text(c.legal_form) + capital)
    if c.siren:
        registry = f"au registre du commerce et des sociétés de {c.rcs_city} " if c.rcs_city else ""
        number = "numéro" if c.rcs_city else "numéro SIREN"
        parts.append(f"immatriculé{'' if individual else 'e'} {registry}sous le {number} {group_siren(c.siren)}")
    where = "domicilié professionnellement" if individual else "dont le siège social est situé"
    parts.append(f"{where} {_address_text(c.address)}")
    if not individual:
        parts.append(f"représentée par son représentant légal en exercice, {c.signatory}, domicilié en cette "
                     "qualité audit siège" if c.signatory
                     else "prise en la personne de son représentant légal en exercice, domicilié en cette qualité "
                          "audit siège")
    return ", ".join(parts) + " ;"


def _debtor_identity(f: DossierFacts) -> str:
    if f.debtor_kind == "consumer":
        return f"{f.debtor_name}, demeurant {_address_text(f.debtor_address)} ;"
    individual = _form_key(f.debtor_legal_form) in INDIVIDUAL_FORMS
    parts = [_capitalised(_designation(f.debtor_name, f.debtor_legal_form))]
    if f.debtor_legal_form.strip():
        parts.append(_form_text(f.debtor_legal_form))
    if f.debtor_siren:
        parts.append(f"immatriculé{'' if individual else 'e'} sous le numéro SIREN {group_siren(f.debtor_siren)}")
    where = "domicilié professionnellement" if individual else "dont le siège social est situé"
    parts.append(f"{where} {_address_text(f.debtor_address)}")
    if not individual:
        parts.append("prise en la personne de son représentant légal en exercice, domicilié en cette qualité "
                     "audit siège")
    return ", ".join(parts) + " ;"


def _address_text(a: Address) -> str:
    parts = [a.line1, a.line2, f"{a.postal_code} {a.city}".strip()]
    code = a.country.strip().upper()
    if code not in DOMESTIC:
        parts.append(COUNTRY_NAMES.get(code, a.country).title())
    return ", ".join(p.strip() for p in parts if p and p.strip())


def _case_line(f: DossierFacts) -> str:
    """« Atelier Bois & Fils c/ Cuisines Saône Design – annexe à la requête en injonction de payer »."""
    return f"{f.creditor.name} c/ {f.debtor_name} – annexe à la requête en injonction de payer"


# --- French place names -------------------------------------------------------------------------------------

def _starts_with_vowel(word: str) -> bool:
    first = unicodedata.normalize("NFKD", word[:1])[:1].upper()
    return first in "AEIOUY"


def _of(city: str) -> str:
    """« de Lyon », « d’Annecy », « du Havre », « des Sables-d’Olonne »."""
    if city.startswith("Le "):
        return f"du {city[3:]}"
    if city.startswith("Les "):
        return f"des {city[4:]}"
    return f"d’{city}" if _starts_with_vowel(city) else f"de {city}"


def _at(city: str) -> str:
    """« à Lyon », « au Havre », « aux Sables-d’Olonne »."""
    if city.startswith("Le "):
        return f"au {city[3:]}"
    if city.startswith("Les "):
        return f"aux {city[4:]}"
    return f"à {city}"


# --- the claim ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Period:
    invoice: str
    start: date
    end: date
    days: int
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class _Sums:
    invoice: str
    on: date
    principal: Decimal
    interest: Decimal
    indemnity: Decimal
    total: Decimal
    periods: tuple[_Period, ...]
    warnings: tuple[str, ...]

    @classmethod
    def of(cls, claim: dict[str, Any]) -> _Sums:
        invoice = str(claim.get("invoice", ""))
        periods = tuple(_Period(str(p.get("invoice", invoice)), date.fromisoformat(p["from"]),
                                date.fromisoformat(p["to"]), int(p["days"]), Decimal(str(p["rate"])),
                                Decimal(str(p["base"])), Decimal(str(p["amount"])))
                        for p in claim.get("periods", ()))
        return cls(invoice, date.fromisoformat(claim["on"]), Decimal(str(claim["principal"])),
                   Decimal(str(claim["interest"])), Decimal(str(claim["indemnity"])), Decimal(str(claim["total"])),
                   periods, tuple(str(w) for w in claim.get("warnings", ())))


def _rates(sums: _Sums) -> str:
    """The rates of the periods, in order: « 13,15 % puis 12,15 % »."""
    rates: list[str] = []
    for period in sums.periods:
        if not rates or rates[-1] != percent(period.rate):
            rates.append(percent(period.rate))
    if len(rates) <= 1:
        return "".join(rates)
    return ", ".join(rates[:-1]) + " puis " + rates[-1]


def _interest_label(f: DossierFacts, sums: _Sums) -> str:
    if f.debtor_kind == "consumer":
        return f"Intérêts au taux légal arrêtés au {longdate(sums.on)} ({_rates(sums)} l’an, art. 1231-6 C. civ.)"
    basis = (f"taux des CGV : {percent(f.cgv_rate)} l’an" if f.cgv_rate
             else f"taux BCE + 10 points : {_rates(sums)} l’an")
    return f"Pénalités de retard arrêtées au {longdate(sums.on)} ({basis}, art. L441-10 C. com.)"


def _interest_heading(f: DossierFacts) -> str:
    return "Intérêts au taux légal" if f.debtor_kind == "consumer" else "Pénalités de retard"


def _interest_basis(f: DossierFacts, sums: _Sums) -> str:
    if not sums.periods:
        return "Aucun intérêt n’a couru à la date du décompte."
    first, last = sums.periods[0].start, sums.periods[-1].end
    span = f"du {longdate(first)} au {longdate(last)} inclus"
    if f.debtor_kind == "consumer":
        notice = _formal_notice(f)
        since = f" du {longdate(notice.received or notice.sent)}" if notice else ""
        return (f"Intérêts au taux légal (article 1231-6 du Code civil ; taux des créances des professionnels, "
                f"article L313-2 du Code monétaire et financier) à compter du lendemain de la mise en demeure{since}, "
                f"{span}.")
    if f.cgv_rate:
        rate = f"au taux de {percent(f.cgv_rate)} l’an prévu par les conditions générales de vente"
    else:
        rate = ("au taux de refinancement de la Banque centrale européenne en vigueur au 1er janvier ou au 1er "
                "juillet du semestre, majoré de dix points")
    return (f"Pénalités de retard (article L441-10 du Code de commerce) {rate}, à compter du lendemain de "
            f"l’échéance, {span}.")


def _after_on(f: DossierFacts, sums: _Sums) -> str:
    later = f"Après le {longdate(sums.on)}, les intérêts continuent de courir sur {money(sums.principal)} jusqu’à "
    if sums.principal <= 0:
        return f"Le principal étant réglé, aucun intérêt ne court plus après le {longdate(sums.on)}."
    rate = sums.periods[-1].rate
    daily = money(sums.principal * rate / Decimal(36500))
    return later + f"parfait paiement, soit {daily} par jour au taux de {percent(rate)} l’an."


def _periods_table(pdf: _DossierPdf, f: DossierFacts, sums: _Sums) -> None:
    several = len({p.invoice for p in sums.periods}) > 1
    columns: list[tuple[str, float, str]] = [("Du", 24.0, "C"), ("Au", 24.0, "C"), ("Jours", 14.0, "R"),
                                             ("Taux annuel", 28.0, "R"), ("Base", 40.0, "R"),
                                             ("Intérêts", 40.0, "R")]
    if several:
        columns = [("Facture", 30.0, "L"), ("Du", 22.0, "C"), ("Au", 22.0, "C"), ("Jours", 13.0, "R"),
                   ("Taux", 19.0, "R"), ("Base", 32.0, "R"), ("Intérêts", 32.0, "R")]
    rows = []
    for p in sums.periods:
        row = [shortdate(p.start), shortdate(p.end), str(p.days), percent(p.rate), money(p.base), money(p.amount)]
        rows.append([p.invoice, *row] if several else row)
    days = sum(p.days for p in sums.periods)
    totals = [(f"Total des intérêts ({days} jours), arrondi au centime", money(sums.interest))]
    _grid(pdf, columns, rows, totals=totals)


def _summary_table(pdf: _DossierPdf, f: DossierFacts, sums: _Sums) -> None:
    rows = [("Principal restant dû", money(sums.principal))]
    if sums.interest > 0 or sums.periods:
        rows.append((_interest_label(f, sums), money(sums.interest)))
    if sums.indemnity > 0 and f.debtor_kind != "consumer":
        count = len(f.invoices)
        rows.append((f"Indemnité forfaitaire pour frais de recouvrement (40{NNBSP}€ × {count} facture"
                     f"{'s' if count > 1 else ''}, art. D441-5 C. com.)", money(sums.indemnity)))
    _grid(pdf, (("Élément", 130.0, "L"), ("Montant", 40.0, "R")), rows,
          totals=[(f"Total dû au {longdate(sums.on)}", money(sums.total))], headings=False)


def _invoice_table(pdf: _DossierPdf, lines: Sequence[LetterLine]) -> None:
    columns = [(("Émise le" if heading == "Date" else heading), width, align) for heading, width, align
               in TABLE_COLUMNS]
    rows = [(line.invoice, shortdate(line.issue_date), shortdate(line.due_date), money(line.amount),
             money(line.amount_due)) for line in lines]
    total = sum((line.amount_due for line in lines), Decimal(0))
    _grid(pdf, columns, rows, totals=[("Total restant dû", money(total))])


# --- the history --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Event:
    day: date | None
    kind: str
    channel: str
    step: str
    provider_id: str
    tracking: str
    message_key: str
    amount: Decimal | None
    note: str
    invoices: tuple[str, ...]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> _Event:
        def text(key: str) -> str:
            value = raw.get(key)
            return "" if value is None else str(value).strip()

        day = None
        if text("date"):
            try:
                day = date.fromisoformat(text("date")[:10])
            except ValueError:
                day = None
        amount = None
        if text("amount"):
            try:
                amount = Decimal(text("amount"))
            except ArithmeticError:
                amount = None
        invoice = text("invoice")
        return cls(day, text("kind"), text("channel"), text("step"), text("provider_id"),
                   text("tracking_number"), text("message_key"), amount, text("note") or _said(text("reason")),
                   (invoice,) if invoice else ())


def _said(reason: str) -> str:
    """A reason a person wrote (a dispute's) is a fact; an internal code (``notice_deadline_pending``) is not."""
    return "" if _CODE.fullmatch(reason) else reason


_CODE = re.compile(r"[a-z0-9_, ]*_[a-z0-9_, ]*")


# Internal steps of relance's own work, not facts between the parties: never in what the court reads.
INTERNAL_KINDS = ("action_planned", "litigation_parked", "litigation_refused", "not_eligible", "action_cancelled")


def _events(f: DossierFacts) -> list[_Event]:
    return [_Event.of(raw) for raw in f.chronology]


@dataclass(frozen=True, slots=True)
class _Notice:
    sent: date
    tracking: str
    received: date | None
    ar_signed: date | None
    returned: date | None


def _formal_notice(f: DossierFacts) -> _Notice | None:
    """The latest registered letter sent, with its delivery, AR and return as the postal provider reported them."""
    events = _events(f)
    sent = [e for e in events if e.kind == "sent" and e.channel == "registered_letter" and e.day is not None]
    if not sent:
        return None
    notice = max(sent, key=lambda e: e.day or date.min)
    assert notice.day is not None

    def follows(e: _Event) -> bool:
        if e.day is None or e.day < notice.day:
            return False
        if notice.provider_id and e.provider_id:
            return e.provider_id == notice.provider_id
        if notice.tracking and e.tracking:
            return e.tracking == notice.tracking
        return e.channel in ("registered_letter", "")

    after = [e for e in events if follows(e)]
    signed = min((e.day for e in after if e.kind == "ar_signed" and e.day), default=None)
    delivered = min((e.day for e in after if e.kind == "delivered" and e.day), default=None)
    returned = min((e.day for e in after if e.kind == "returned" and e.day), default=None)
    tracking = notice.tracking or next((e.tracking for e in after if e.tracking), "")
    return _Notice(notice.day, tracking, delivered or signed, signed, returned)


# The labels are said once, in domain/labels.py.
PAYMENT_KINDS = ("payment", "payment_received", "partial_payment", "payment_unmatched", "refund")
CALL_KINDS = ("call_task", "call", "call_done", "call_made")
CALLS_MADE = ("call", "call_done", "call_made", "call_no_answer")


def _label(e: _Event) -> str:
    invoice = ", ".join(e.invoices)
    if e.kind == "invoice_issued":
        return f"Facture {NO}{invoice} émise : {money(e.amount or 0)} TTC"
    if e.kind == "invoice_due":
        return f"Échéance de la facture {NO}{invoice} ; reste dû : {money(e.amount or 0)}"
    if e.kind == "sent":
        label = SENT_LABELS.get(e.channel, "Relance envoyée")
    elif e.kind == "delivered":
        label = DELIVERED_LABELS.get(e.channel, "Envoi distribué")
    elif e.kind in KIND_LABELS:
        label = KIND_LABELS[e.kind]
    elif e.kind.startswith("postal_"):
        label = f"Suivi postal : {e.kind.removeprefix('postal_').replace('_', ' ')}"
    else:
        label = _capitalised(e.kind.replace("_", " ")) or "Événement"
    if e.amount is not None and (e.kind in PAYMENT_KINDS or e.kind == "credit_note"):
        label += f" : {money(e.amount)}"
    return label


def _event_text(e: _Event) -> str:
    return f"{_label(e)}\n{e.note}" if e.note else _label(e)


def _channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel.replace("_", " ")) if channel else "—"


def _references(e: _Event, several_invoices: bool) -> str:
    lines = []
    if several_invoices and e.invoices:
        lines.append(f"Facture{'s' if len(e.invoices) > 1 else ''} : {', '.join(e.invoices)}")
    if e.tracking:  # La Poste's number, printed on the AR: the one reference the court can check
        lines.append(f"N° de suivi : {e.tracking}")
    return "\n".join(lines) or "—"


# Within one day, the order things happen in (sent, then delivered, then the AR); others keep the history's order.
SAME_DAY_ORDER = {"invoice_issued": 0, "invoice_due": 1, "action_planned": 2, "sent": 3, "delivered": 5,
                  "ar_signed": 6, "returned": 6}


def _timeline(f: DossierFacts) -> list[_Event]:
    """The history by date, each invoice's issue and due date included.

    One message about several invoices is one event per invoice in the history: shown once, with its
    invoices. A planned action shows only when nothing records it as carried out.
    """
    several = len(f.invoices) > 1
    synthetic = []
    for line in f.invoices:
        synthetic.append(_Event(line.issue_date, "invoice_issued", "", "", "", "", "", line.amount, "",
                                (line.invoice,)))
        synthetic.append(_Event(line.due_date, "invoice_due", "", "", "", "", "", line.amount_due, "",
                                (line.invoice,)))
    events = _events(f)
    merged: dict[tuple[Any, ...], _Event] = {}
    for e in (*synthetic, *events):
        if e.kind in INTERNAL_KINDS:
            continue
        key = (e.day, e.kind, e.channel, e.step, e.provider_id, e.tracking, e.message_key, e.amount, e.note)
        if e.kind.startswith("invoice_") or not several:
            key = (*key, e.invoices)
        if key in merged:
            before = merged[key]
            invoices = tuple(dict.fromkeys((*before.invoices, *e.invoices)))
            merged[key] = _Event(before.day, before.kind, before.channel, before.step, before.provider_id,
                                 before.tracking, before.message_key, before.amount, before.note, invoices)
        else:
            merged[key] = e
    return sorted(merged.values(), key=lambda e: (e.day is None, e.day or date.min, SAME_DAY_ORDER.get(e.kind, 4)))


def _day(day: date | None) -> str:
    return shortdate(day) if day else "—"


# --- layout -------------------------------------------------------------------------------------------------

HEADER_BOTTOM = TOP + 12.0


class _DossierPdf(FPDF):
    """A4 in the letter's style: the creditor's letterhead on top, the case and « Page n/N » at the foot."""

    def __init__(self, f: DossierFacts, title: str, short: str, numbered: int | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.facts = f
        self.short = short
        self.numbered = numbered  # the request's own page count, when an unnumbered note follows it
        self.note_page = False
        self.set_margins(MARGIN, HEADER_BOTTOM + 4, MARGIN)
        self.nnbsp = set_up_document(self, title=f"{title} – {f.creditor.name} c/ {f.debtor_name}",
                                     author=f.creditor.name, on=f.on)

    def t(self, text: str) -> str:
        return text.replace(NNBSP, self.nnbsp)

    def header(self) -> None:
        creditor = self.facts.creditor
        self.set_xy(MARGIN, TOP)
        self.set_font(FONT, "B", 10)
        self.cell(CONTENT_W * 0.6, 5, self.t(fit_text(self, creditor.name, CONTENT_W * 0.6)))
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(CONTENT_W * 0.4, 5, self.t(self.short), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        identity = identity_text(replace(creditor, vat_number=""))
        lines = [" – ".join(p for p in (identity, _address_text(creditor.address)) if p), identity]
        self.set_font(FONT, size=7.5)
        self.set_x(MARGIN)
        self.cell(CONTENT_W, 4, self.t(first_that_fits(self, [self.t(line) for line in lines], CONTENT_W)))
        self.set_text_color(0, 0, 0)
        self.set_draw_color(*LIGHT)
        self.set_line_width(0.2)
        self.line(MARGIN, HEADER_BOTTOM, PAGE_W - MARGIN, HEADER_BOTTOM)
        self.set_font(FONT, size=BODY_SIZE)
        self.set_xy(MARGIN, HEADER_BOTTOM + 4)

    def footer(self) -> None:
        self.set_draw_color(*LIGHT)
        self.set_line_width(0.2)
        self.line(MARGIN, FOOTER_TOP, PAGE_W - MARGIN, FOOTER_TOP)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, FOOTER_TOP + 1.5)
        if self.note_page:
            case = "Note au créancier – ne fait pas partie de la requête"
            self.cell(CONTENT_W, 4, self.t(case), align=Align.L)
        else:
            case = f"{self.short} – {self.facts.creditor.name} c/ {self.facts.debtor_name}"
            self.cell(CONTENT_W - 22, 4, self.t(fit_text(self, case, CONTENT_W - 22)), align=Align.L)
            total = str(self.numbered) if self.numbered is not None else "{nb}"
            self.cell(22, 4, f"Page {self.page_no()}/{total}", align=Align.R)
        self.set_text_color(0, 0, 0)

    # -- blocks --
    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if self.will_page_break(height):
            self.add_page()

    def keep_lines(self, count: int, line_h: float) -> None:
        """Neither a paragraph's first line alone at a page foot nor its last alone atop the next page."""
        room = int((self.page_break_trigger - self.get_y()) / line_h + 1e-6)
        if count > room and (room < 2 or count - room < 2):
            self.add_page()

    def title_block(self, title: str, subtitle: str = "", size: float = 14) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(CONTENT_W, size * 0.5, self.t(title), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.ln(1)
            self.set_font(FONT, size=9)
            self.set_text_color(*GREY)
            self.multi_cell(CONTENT_W, 4.5, self.t(subtitle), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)
        self.ln(6)

    def heading(self, text: str, gap: float = 1.5) -> None:
        self.keep(BODY_LINE * 4)  # a heading never ends a page
        self.ln(1.5)
        self.set_font(FONT, "B", BODY_SIZE + 0.5)
        self.multi_cell(CONTENT_W, BODY_LINE + 0.5, self.t(text), align=Align.L, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)
        self.ln(gap)
        self.set_font(FONT, size=BODY_SIZE)

    def para(self, text: str, align: Align = Align.J, size: float = BODY_SIZE, style: str = "",
             colour: tuple[int, int, int] = (0, 0, 0), indent: float = 0, gap: float = PARAGRAPH_GAP) -> None:
        self.set_font(FONT, style, size)
        line_h = BODY_LINE * size / BODY_SIZE
        width = CONTENT_W - indent
        self.keep_lines(len(self.multi_cell(width, line_h, self.t(text), dry_run=True, output="LINES")), line_h)
        self.set_text_color(*colour)
        self.set_x(MARGIN + indent)
        self.multi_cell(width, line_h, self.t(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(gap)

    def bullets(self, items: Iterable[str], indent: float = 0, mark: str = "–") -> None:
        self.set_font(FONT, size=BODY_SIZE)
        width = CONTENT_W - indent - 7
        for item in items:
            self.keep_lines(len(self.multi_cell(width, BODY_LINE, self.t(item), dry_run=True, output="LINES")),
                            BODY_LINE)
            self.set_x(MARGIN + indent)
            self.cell(7, BODY_LINE, mark)
            self.multi_cell(width, BODY_LINE, self.t(item), align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
        self.ln(PARAGRAPH_GAP - 1)

    def rule(self) -> None:
        self.ln(2)
        self.set_draw_color(*LIGHT)
        self.set_line_width(0.2)
        self.line(MARGIN, self.get_y(), PAGE_W - MARGIN, self.get_y())
        self.ln(3)


def _grid(pdf: _DossierPdf, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[str]],
          totals: Sequence[tuple[str, str]] = (), headings: bool = True, size: float = 9.5) -> None:
    """A table in the letter's look: grey heading row (repeated on a new page), thin rules, bold totals."""
    pdf.keep(6.5 * (min(len(rows), 2) + (1 if headings else 0) + len(totals)) + 2)
    pdf.set_draw_color(*LIGHT)
    pdf.set_line_width(0.2)
    pdf.set_font(FONT, size=size)
    heading_style = FontFace(family=FONT, emphasis="BOLD", size_pt=9, fill_color=TABLE_FILL)
    total_style = FontFace(family=FONT, emphasis="BOLD", size_pt=size + 0.5, fill_color=TABLE_FILL)
    with pdf.table(width=CONTENT_W, col_widths=tuple(w for _, w, _ in columns), align=Align.L,
                   text_align=tuple(a for _, _, a in columns), line_height=size * 0.48, padding=(1.4, 1.2),
                   borders_layout=TableBordersLayout.HORIZONTAL_LINES, headings_style=heading_style,
                   first_row_as_headings=headings, v_align="TOP") as table:
        if headings:
            heading = table.row()
            for text, _, align in columns:
                heading.cell(text, align=align)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(pdf.t(value))
        for label, amount in totals:
            row = table.row()
            row.cell(pdf.t(label), align=Align.R, style=total_style, colspan=len(columns) - 1)
            row.cell(pdf.t(amount), align=Align.R, style=total_style)
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.ln(4)


def _pieces(f: DossierFacts, needle: str) -> list[int]:
    """The numbers of the exhibits whose title names ``needle`` (an invoice number, « décompte »…)."""
    wanted = needle.casefold()
    return [e.number for e in sorted(f.exhibits, key=lambda e: e.number) if wanted in e.title.casefold()]


def _piece_ref(numbers: Sequence[int]) -> str:
    """``pièce n° 1``, ``pièces n° 1 et 2``; nothing without a number."""
    if not numbers:
        return ""
    return f"pièce{'s' if len(numbers) > 1 else ''} {NO}{_join([str(n) for n in numbers])}"


def _cite(numbers: Sequence[int], *more: str) -> str:
    """`` (pièce n° 1)``, `` (envoi n° 1A…, pièce n° 3)``: a parenthesis of what is known, or nothing."""
    parts = [p for p in (*more, _piece_ref(numbers)) if p]
    return f" ({', '.join(parts)})" if parts else ""


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " et " + words[-1]
