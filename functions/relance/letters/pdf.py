"""The PDF of a postal letter: A4 portrait, French business layout, recipient placed for a DL window envelope.

fpdf2 is imported here and nowhere else: only the letter function pays for it (and for parsing the fonts).
Same ``LetterDocument`` → same bytes: the creation date comes from the letter's date and the file id is a
hash of the content, so a re-render after a retry is byte-identical.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib.resources import as_file, files

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from ..domain.fmt import (
    NNBSP,
    is_french,
    longdate_in,
    money_in,
    phone_in,
    shortdate_in,
)
from ..domain.fmt import group_siren as group_siren  # re-exported: tests take it from here
from ..domain.model import Address
from . import LetterDocument, LetterLine, Sender, identity_text


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the page, in millimetres from the top-left corner."""

    x: float
    y: float
    w: float
    h: float


PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 20.0
TOP = 15.0
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_TOP = PAGE_H - 17.0
BOTTOM_BREAK = 25.0  # the body and the table stop here, clear of the footer (the dossier's documents)
LETTER_BOTTOM_BREAK = 21.0  # a letter's body may come closer: 4 mm still part it from the footer's rule
# DL envelope (110 × 220 mm) with its window on the right: the letter, folded in three, shows this area.
# La Poste: at most 6 lines, the last one "postal code + CITY" in capitals.
ADDRESS_BOX = Box(x=110.0, y=47.0, w=85.0, h=32.0)
ADDRESS_MAX_LINES = 6
REGISTERED_MENTION = "Lettre recommandée avec accusé de réception"
DATE_Y = 92.0  # below the window, so only the address shows through it
FOLD_MARKS_Y = (99.0, 198.0)  # A4 folded in three for a DL envelope

FONT = "DejaVu"
BODY_SIZE = 10.5
BODY_LINE = 5.0
SMALL_SIZE = 8.5
GREY = (90, 90, 90)
LIGHT = (200, 200, 200)
TABLE_FILL = (236, 236, 236)

# (heading, width mm, alignment); widths add up to CONTENT_W.
TABLE_COLUMNS = (("Facture", 44.0, "L"), ("Date", 27.0, "C"), ("Échéance", 27.0, "C"),
                 ("Montant TTC", 36.0, "R"), ("Reste dû", 36.0, "R"))


@dataclass(frozen=True, slots=True)
class Words:
    """What the letter itself says around the rendered text, in the body's language."""

    registered: str = REGISTERED_MENTION
    columns: tuple[str, ...] = tuple(c[0] for c in TABLE_COLUMNS)
    total_due: str = "Total dû"
    transfer: str = "Règlement par virement"
    holder: str = "Titulaire"
    reference: str = "Référence à indiquer"
    quote_reference: str = "Merci de rappeler la référence {} avec votre règlement."
    dated: str = "{place}, le {date}"
    our_reference: str = "Réf. : {}"
    subject: str = "Objet : {}"
    continued: str = "(suite)"
    page: str = "Page"
    phone: str = "Tél. : {}"
    email: str = "Courriel : {}"
    signatory: str = "Le service comptabilité"
    colon: str = " :"
    pdf_language: str = "fr-FR"
    portal: str = "Régler en ligne ou nous répondre"
    statement: str = "Pour information, vos autres factures ouvertes (non visées par ce courrier)\u00a0:"
    statement_line: str = "– Facture n°\u00a0{invoice} du {issued}, {when}\u00a0: {amount}"
    statement_late: str = "échue le {due} ({late} de retard)"
    statement_due: str = "échéance le {due}"
    statement_total: str = "Total de ces autres factures\u00a0: {}"
    day: str = "jour"
    days: str = "jours"


FRENCH_WORDS = Words()
ENGLISH_WORDS = Words(
    registered="Registered letter with acknowledgement of receipt",
    columns=("Invoice", "Date", "Due date", "Amount incl. VAT", "Outstanding"), total_due="Total due",
    transfer="Payment by bank transfer", holder="Account holder", reference="Reference to quote",
    quote_reference="Please quote reference {} with your payment.", dated="{place}, {date}",
    our_reference="Our ref.: {}", subject="Subject: {}", continued="(continued)", page="Page", phone="Tel.: {}",
    email="E-mail: {}", signatory="Accounts department", colon=":", pdf_language="en-GB",
    portal="Pay online or reply to us",
    statement="For your information, your other open invoices (not covered by this letter):",
    statement_line="– Invoice {invoice} dated {issued}, {when}: {amount}", statement_late="due {due} ({late} overdue)",
    statement_due="due {due}", statement_total="Total of these other invoices: {}", day="day", days="days")


def words_for(language: str) -> Words:
    """The letter's own words: French for French, English for every other language (the body's language has
    templates; the frame does not need one per language)."""
    return FRENCH_WORDS if is_french(language) else ENGLISH_WORDS
ROW_H = 6.0
PARAGRAPH_GAP = 2.5
SIGNATURE_SPACE = 11.0  # room for a handwritten signature



@dataclass(frozen=True, slots=True)
class LetterStyle:
    """The letter's type and spacing. A letter is laid out in the standard style; when that spills onto a second
    page, in the compact, the tight then the snug one, the first kept whose whole letter fits on one page (a
    signature alone on a page 2 costs a sheet and reads as an afterthought). None sets the body below 8.5 pt."""

    body_size: float = BODY_SIZE
    body_line: float = BODY_LINE
    paragraph_gap: float = PARAGRAPH_GAP
    row_h: float = ROW_H
    signature_space: float = SIGNATURE_SPACE
    after_date: float = 6.0
    after_subject: float = 5.0
    after_table: float = 4.0
    after_statement: float = 2.0  # added to the paragraph gap
    payment_row: float = 5.0  # a row of the transfer details
    payment_title: float = 6.0  # « Règlement par virement » and the space under it
    after_payment: float = 5.0
    qr_side: float = 22.0  # the portal link's QR code, in the transfer box's right-hand side
    qr_pad: float = 3.0  # above and below the QR code, inside the box
    bic_beside_iban: bool = False  # the BIC on the IBAN's line, when both fit there


STANDARD = LetterStyle()
COMPACT = LetterStyle(body_size=9.5, body_line=4.4, paragraph_gap=1.8, row_h=5.2, signature_space=9.0,
                      after_date=3.0, after_subject=3.0, payment_row=4.4, after_payment=3.0, qr_side=18.0)
TIGHT = LetterStyle(body_size=9.0, body_line=4.1, paragraph_gap=1.4, row_h=4.8, signature_space=8.0,
                    after_date=2.0, after_subject=2.5, payment_row=4.4, after_payment=3.0, qr_side=18.0)
# The last resort before a second sheet: 8.5 pt with a short leading, the transfer details closed up and a
# smaller QR code beside them (15 mm still scans: a short link is a 29-module code, 0.5 mm a module).
SNUG = LetterStyle(body_size=8.5, body_line=3.6, paragraph_gap=0.9, row_h=4.3, signature_space=6.5,
                   after_date=1.5, after_subject=2.0, after_table=2.0, after_statement=0.5, payment_row=3.8,
                   payment_title=4.8, after_payment=2.0, qr_side=15.0, qr_pad=2.5, bic_beside_iban=True)
STYLES = (STANDARD, COMPACT, TIGHT, SNUG)

# The closing formula stays the body's last paragraph, after the invoice table and the payment details,
# the way a French letter ends; a body without one gets the table after its last paragraph.
CLOSING = re.compile(r"(agréer|salutations|sentiments|cordialement|veuillez recevoir|recevez|yours faithfully|"
                     r"yours sincerely|kind regards|best regards)", re.IGNORECASE)

DOMESTIC = {"", "FR", "FRA", "FRANCE"}
COUNTRY_NAMES = {  # what La Poste wants on the last line of a foreign address, in French
    "BE": "BELGIQUE", "CH": "SUISSE", "LU": "LUXEMBOURG", "MC": "MONACO", "DE": "ALLEMAGNE", "ES": "ESPAGNE",
    "IT": "ITALIE", "PT": "PORTUGAL", "NL": "PAYS-BAS", "GB": "ROYAUME-UNI", "IE": "IRLANDE", "AT": "AUTRICHE",
    "US": "ÉTATS-UNIS", "CA": "CANADA", "AD": "ANDORRE",
}


def render_letter_pdf(doc: LetterDocument) -> bytes:
    """The letter as PDF bytes, ready for the postal provider (A4, DL window envelope): on one page whenever its
    content fits there in the compact style."""
    pdf = first = _lay_out(doc, STYLES[0])
    for style in STYLES[1:]:
        if pdf.pages_count == 1:
            break
        pdf = _lay_out(doc, style)
    if pdf.pages_count > 1:  # too long for one page anyway: the roomier standard layout reads better
        pdf = first
    return bytes(pdf.output())


def _lay_out(doc: LetterDocument, style: LetterStyle) -> _LetterPdf:
    pdf = _LetterPdf(doc, style)
    pdf.add_page()
    _fold_marks(pdf)
    _sender_block(pdf, doc.sender)
    _recipient_block(pdf, doc)
    _date_and_subject(pdf, doc)
    opening, closing = _split_closing(_paragraphs(doc.body))
    for paragraph in opening:
        _paragraph(pdf, paragraph)
    _invoice_table(pdf, doc.lines, letter_total(doc))
    _statement(pdf, doc)
    _payment_box(pdf, doc)
    _portal_box(pdf, doc)
    _closing_and_signature(pdf, closing, doc.sender)
    return pdf


def letter_total(doc: LetterDocument) -> Decimal:
    """The « Total dû »: the document's total, or the sum of what remains due on its lines."""
    if doc.total:
        return doc.total
    return sum((line.amount_due for line in doc.lines), Decimal(0))


def recipient_lines(name: str, address: Address) -> list[str]:
    """The address block as La Poste wants it: name, street lines, « 69003 LYON », country if abroad."""
    lines = [name, address.line1, address.line2]
    locality = f"{address.postal_code} {_postal_capitals(address.city)}".strip()
    lines.append(locality)
    if address.country.strip().upper() not in DOMESTIC:
        code = address.country.strip().upper()
        lines.append(COUNTRY_NAMES.get(code, _postal_capitals(address.country)))
    return [line.strip() for line in lines if line and line.strip()]


def group_iban(iban: str) -> str:
    """``FR7630006000011234567890189`` → ``FR76 3000 6000 0112 3456 7890 189``."""
    compact = re.sub(r"\s", "", iban).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


# --- the document -------------------------------------------------------------------------------------------

class _LetterPdf(FPDF):
    def __init__(self, doc: LetterDocument, style: LetterStyle = STANDARD) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.style = style
        self.words = words_for(doc.language)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.nnbsp = set_up_document(self, title=doc.subject, author=doc.sender.name, on=doc.date)
        self.set_auto_page_break(True, margin=LETTER_BOTTOM_BREAK)
        self.set_lang(self.words.pdf_language)

    def text_of(self, text: str) -> str:
        return text.replace(NNBSP, self.nnbsp)

    def money(self, amount: Decimal) -> str:
        return money_in(amount, self.doc.language)

    def date(self, day: date, *, short: bool = False) -> str:
        return shortdate_in(day, self.doc.language) if short else longdate_in(day, self.doc.language)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, size=SMALL_SIZE)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, TOP)
        running = f"{self.doc.recipient_name} – {self.date(self.doc.date)} {self.words.continued}"
        self.cell(CONTENT_W, 4, self.text_of(_fit(self, running, CONTENT_W)), align=Align.R)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=self.style.body_size)
        self.set_xy(MARGIN, TOP + 10)

    def footer(self) -> None:
        sender = self.doc.sender
        self.set_draw_color(*LIGHT)
        self.set_line_width(0.2)
        self.line(MARGIN, FOOTER_TOP, PAGE_W - MARGIN, FOOTER_TOP)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, FOOTER_TOP + 1.5)
        self.cell(CONTENT_W - 22, 4, self.text_of(first_that_fits(self, _legal_lines(sender, self.doc.language),
                                                                  CONTENT_W - 22)), align=Align.L)
        self.cell(22, 4, f"{self.words.page} {self.page_no()}/{{nb}}", align=Align.R)
        self.set_text_color(0, 0, 0)


def _legal_lines(sender: Sender, language: str = "fr") -> list[str]:
    """The footer, longest first: with the address when it fits (the letterhead carries it anyway)."""
    address = sender.address
    where = ", ".join(p for p in (address.line1, address.line2,
                                  f"{address.postal_code} {address.city}".strip()) if p)
    identity = " – ".join(p for p in (sender.name, identity_text(sender, language)) if p)
    return [" – ".join(p for p in (identity, where) if p), identity]


def first_that_fits(pdf: FPDF, texts: list[str], width: float) -> str:
    """The first text that fits ``width`` whole; else the last one, shortened."""
    for text in texts:
        if pdf.get_string_width(text) <= width:
            return text
    return _fit(pdf, texts[-1], width)


# --- blocks, top to bottom ----------------------------------------------------------------------------------

def _fold_marks(pdf: _LetterPdf) -> None:
    pdf.set_draw_color(*LIGHT)
    pdf.set_line_width(0.2)
    for y in FOLD_MARKS_Y:
        pdf.line(4, y, 8, y)


def _sender_block(pdf: _LetterPdf, sender: Sender) -> None:
    pdf.set_xy(MARGIN, TOP)
    width = ADDRESS_BOX.x - MARGIN - 5
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width, 5.5, pdf.text_of(sender.name), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=SMALL_SIZE)
    identity = identity_text(replace(sender, vat_number=""), pdf.doc.language)  # the VAT number: in the footer
    address = sender.address
    # The R123-237 mentions whole: on two lines (form and capital, then registration) when one is too narrow.
    identities = [identity] if pdf.get_string_width(identity) <= width else identity.split(" – ", 1)
    lines = [*identities, address.line1, address.line2, f"{address.postal_code} {address.city}".strip()]
    if address.country.strip().upper() not in DOMESTIC:
        lines.append(COUNTRY_NAMES.get(address.country.strip().upper(), address.country))
    if sender.phone:
        lines.append(pdf.words.phone.format(phone_in(sender.phone, pdf.doc.language)))
    if sender.email:
        lines.append(pdf.words.email.format(sender.email))
    pdf.set_text_color(*GREY)
    for line in (ln for ln in lines if ln):
        pdf.cell(width, 4, pdf.text_of(_fit(pdf, line, width)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _recipient_block(pdf: _LetterPdf, doc: LetterDocument) -> None:
    box = ADDRESS_BOX
    if doc.registered:
        size = 8.5
        pdf.set_font(FONT, "B", size)
        while pdf.get_string_width(pdf.words.registered) > box.w and size > 6.5:
            size -= 0.5
            pdf.set_font(FONT, "B", size)
        pdf.set_xy(box.x, box.y - 6)
        pdf.cell(box.w, 4, pdf.words.registered)
    lines = recipient_lines(doc.recipient_name, doc.recipient_address)
    size, wrapped = 10.5, []
    while True:  # long names wrap; a block that would exceed La Poste's 6 lines gets a smaller type
        pdf.set_font(FONT, size=size)
        wrapped = [(part, index == 0) for index, line in enumerate(lines)
                   for part in pdf.multi_cell(box.w, 5, pdf.text_of(line), dry_run=True, output="LINES")]
        if len(wrapped) <= ADDRESS_MAX_LINES or size <= 8:
            break
        size -= 0.5
    line_h = min(5.0, box.h / max(len(wrapped), 1))
    pdf.set_xy(box.x, box.y)
    for line, is_name in wrapped:  # never drop a line: past 6, they close up to stay inside the window
        pdf.set_font(FONT, "B" if is_name else "", size)
        pdf.cell(box.w, line_h, line, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _date_and_subject(pdf: _LetterPdf, doc: LetterDocument) -> None:
    st = pdf.style
    place = doc.place or doc.sender.address.city
    dated = pdf.text_of(pdf.words.dated.format(place=place, date=pdf.date(doc.date)))
    if doc.reference:  # on the date's line, at the left: a line of the page saved
        pdf.set_font(FONT, size=st.body_size)
        reference_w = CONTENT_W - pdf.get_string_width(dated) - 6
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*GREY)
        pdf.set_xy(MARGIN, DATE_Y)
        reference = pdf.words.our_reference.format(doc.reference)
        pdf.cell(reference_w, st.body_line, pdf.text_of(_fit(pdf, reference, reference_w)))
        pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, size=st.body_size)
    pdf.set_xy(MARGIN, DATE_Y)
    pdf.cell(CONTENT_W, st.body_line, dated, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(st.after_date)
    pdf.set_font(FONT, "B", st.body_size)
    pdf.multi_cell(CONTENT_W, st.body_line, pdf.text_of(pdf.words.subject.format(doc.subject)), align=Align.L,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(st.after_subject)


def _paragraphs(body: str) -> list[str]:
    body = body.replace("\r\n", "\n").strip("\n")
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", body) if p.strip()]


def _split_closing(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    if len(paragraphs) >= 2 and CLOSING.search(paragraphs[-1]):
        return paragraphs[:-1], paragraphs[-1:]
    return paragraphs, []


def _paragraph(pdf: _LetterPdf, text: str, align: Align = Align.J) -> None:
    st = pdf.style
    pdf.set_font(FONT, size=st.body_size)
    lines = pdf.multi_cell(CONTENT_W, st.body_line, pdf.text_of(text), dry_run=True, output="LINES")
    if pdf.will_page_break(min(len(lines), 2) * st.body_line):  # no paragraph's first line alone at a page foot
        pdf.add_page()
    pdf.set_x(MARGIN)
    pdf.multi_cell(CONTENT_W, st.body_line, pdf.text_of(text), align=align, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(st.paragraph_gap)


def _invoice_table(pdf: _LetterPdf, lines: tuple[LetterLine, ...], total: Decimal) -> None:
    if not lines:
        return
    row_h = pdf.style.row_h
    pdf.ln(1)
    # Keep the heading with at least two rows (or the total) rather than alone at the foot of a page.
    if pdf.will_page_break(row_h * 3 + 2):
        pdf.add_page()
    _table_heading(pdf)
    for line in lines:
        if pdf.will_page_break(row_h):
            pdf.add_page()
            _table_heading(pdf)
        cells = (line.invoice, pdf.date(line.issue_date, short=True), pdf.date(line.due_date, short=True),
                 pdf.money(line.amount), pdf.money(line.amount_due))
        pdf.set_font(FONT, size=9.5)
        for (_, width, align), text in zip(TABLE_COLUMNS, cells, strict=True):
            pdf.cell(width, row_h, pdf.text_of(_fit(pdf, text, width - 2)), border="B", align=align)
        pdf.ln(row_h)
    if pdf.will_page_break(row_h + 1):
        pdf.add_page()
        _table_heading(pdf)
    pdf.set_font(FONT, "B", 10)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    label_w = sum(width for _, width, _ in TABLE_COLUMNS[:-1])
    pdf.set_fill_color(*TABLE_FILL)
    pdf.cell(label_w, row_h + 1, pdf.words.total_due, border="T", align=Align.R, fill=True)
    pdf.cell(TABLE_COLUMNS[-1][1], row_h + 1, pdf.text_of(pdf.money(total)), border="T", align=Align.R, fill=True)
    pdf.ln(row_h + 1)
    pdf.set_line_width(0.2)
    pdf.ln(pdf.style.after_table)


def statement_lines(doc: LetterDocument) -> list[str]:
    """The statement of account under the invoice table: the debtor's other open invoices, kept apart from the
    sums the letter demands, with what remains due and how late each is on the letter's date."""
    if not doc.others:
        return []
    words, language = words_for(doc.language), doc.language
    out = [words.statement]
    for line in doc.others:
        late = (doc.date - line.due_date).days
        due = shortdate_in(line.due_date, language)
        when = (words.statement_late.format(due=due, late=f"{late} {words.days if late > 1 else words.day}")
                if late > 0 else words.statement_due.format(due=due))
        out.append(words.statement_line.format(invoice=line.invoice, issued=shortdate_in(line.issue_date, language),
                                               when=when, amount=money_in(line.amount_due, language)))
    total = sum((line.amount_due for line in doc.others), Decimal(0))
    out.append(words.statement_total.format(money_in(total, language)))
    return out


def _statement(pdf: _LetterPdf, doc: LetterDocument) -> None:
    lines = statement_lines(doc)
    if not lines:
        return
    st = pdf.style
    pdf.set_font(FONT, size=max(st.body_size - 0.5, 8.5))  # a list to read, not small print
    if pdf.will_page_break(min(len(lines), 3) * st.body_line):
        pdf.add_page()
    for line in lines:
        pdf.set_x(MARGIN)
        pdf.multi_cell(CONTENT_W, st.body_line, pdf.text_of(line), align=Align.L, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(st.paragraph_gap + st.after_statement)


def _table_heading(pdf: _LetterPdf) -> None:
    row_h = pdf.style.row_h
    pdf.set_x(MARGIN)
    pdf.set_font(FONT, "B", 9)
    pdf.set_fill_color(*TABLE_FILL)
    pdf.set_draw_color(*LIGHT)
    pdf.set_line_width(0.2)
    for heading, (_, width, align) in zip(pdf.words.columns, TABLE_COLUMNS, strict=True):
        pdf.cell(width, row_h, heading, align=align, fill=True)
    pdf.ln(row_h)


def _payment_box(pdf: _LetterPdf, doc: LetterDocument) -> None:
    sender = doc.sender
    if not sender.iban:
        if doc.payment_reference:
            _paragraph(pdf, pdf.words.quote_reference.format(doc.payment_reference))
        return
    words, st = pdf.words, pdf.style
    row_h = st.payment_row
    size = 9.5 if row_h >= 4.4 else 9.0
    # The portal link's QR code sits in the box, on the right: the letter grows no longer for it.
    qr = st.qr_side if doc.portal_link else 0.0
    inner = CONTENT_W - 8 - (qr + 4 if qr else 0)
    label_w = 44.0
    rows: list[list[tuple[str, str]]] = [[(words.holder, sender.name)], [("IBAN", group_iban(sender.iban))]]
    if sender.bic:
        bic = ("BIC", sender.bic.strip().upper())
        pdf.set_font(FONT, "B", size)
        iban_w = pdf.get_string_width(rows[1][0][1]) + 2
        beside = st.bic_beside_iban and label_w + iban_w + _pairs_width(pdf, [bic], size) <= inner
        if beside:
            rows[1].append(bic)
        else:
            rows.append([bic])
    if doc.payment_reference:
        rows.append([(words.reference, doc.payment_reference)])
    height = max(2 + st.payment_title + row_h * len(rows) + 2, qr + 2 * st.qr_pad if qr else 0)
    if pdf.will_page_break(height):
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN, top, CONTENT_W, height)
    pdf.set_xy(MARGIN + 4, top + 2)
    pdf.set_font(FONT, "B", 10 if st.payment_title >= 6 else 9.5)
    pdf.cell(inner, st.payment_title - 1, words.transfer, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(1)
    for row in rows:
        pdf.set_x(MARGIN + 4)
        (label, value), *more = row
        _payment_pair(pdf, label, value, label_w, inner - label_w - _pairs_width(pdf, more, size), size)
        for label, value in more:  # the BIC after the IBAN, on its line
            pdf.set_font(FONT, size=size)
            _payment_pair(pdf, label, value, PAIR_GAP + pdf.get_string_width(f"{label}{words.colon}") + 2,
                          None, size)
        pdf.ln(row_h)
    if qr:
        _qr_code(pdf, doc.portal_link, MARGIN + CONTENT_W - 4 - qr, top + st.qr_pad, qr)
    pdf.set_line_width(0.2)
    pdf.set_xy(MARGIN, top + height + st.after_payment)


PAIR_GAP = 6.0  # between the IBAN and the BIC on one line


def _payment_pair(pdf: _LetterPdf, label: str, value: str, label_w: float, value_w: float | None,
                  size: float) -> None:
    """« Label : value » of the transfer details, the label in grey, the IBAN and the reference in bold;
    ``label_w`` includes what is left before the label (a second pair on the line)."""
    row_h = pdf.style.payment_row
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*GREY)
    pdf.cell(label_w, row_h, f"{label}{pdf.words.colon}", align=Align.L if value_w is not None else Align.R)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B" if label in ("IBAN", pdf.words.reference) else "", size)
    if value_w is None:
        value_w = pdf.get_string_width(value) + 2
    pdf.cell(value_w, row_h, pdf.text_of(_fit(pdf, value, value_w)))


def _pairs_width(pdf: _LetterPdf, pairs: list[tuple[str, str]], size: float) -> float:
    """The room ``pairs`` take after the first pair of a line (each: gap and label, value; 2 mm of cell margins
    each)."""
    width = 0.0
    for label, value in pairs:
        pdf.set_font(FONT, size=size)
        width += PAIR_GAP + pdf.get_string_width(f"{label}{pdf.words.colon}") + 2
        pdf.set_font(FONT, "B" if label in ("IBAN", pdf.words.reference) else "", size)
        width += pdf.get_string_width(value) + 2
    return width


def _qr_code(pdf: _LetterPdf, text: str, x: float, y: float, side: float) -> None:
    """A QR code of ``text``, drawn module by module (no image library in the letter function)."""
    import segno

    matrix = [list(row) for row in segno.make(text, error="m", micro=False).matrix]
    module = side / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                pdf.rect(x + column * module, y + row_index * module, module, module, style="F")
    pdf.set_fill_color(255, 255, 255)


def _portal_box(pdf: _LetterPdf, doc: LetterDocument) -> None:
    """Without transfer details (no IBAN in the rules), the portal link's QR code on its own, under the text that
    gives its address; with them, the code is in the transfer box."""
    if not doc.portal_link or doc.sender.iban:
        return
    side = pdf.style.qr_side
    if pdf.will_page_break(side + 4):
        pdf.add_page()
    top = pdf.get_y()
    _qr_code(pdf, doc.portal_link, MARGIN, top, side)
    pdf.set_xy(MARGIN + side + 5, top + 2)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(CONTENT_W - side - 5, 5, pdf.words.portal, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9.5)
    pdf.cell(CONTENT_W - side - 5, 5, pdf.text_of(_fit(pdf, doc.portal_link, CONTENT_W - side - 5)))
    pdf.set_font(FONT, size=10)
    pdf.set_xy(MARGIN, top + side + (4 if pdf.style is STANDARD else 2))


def _closing_and_signature(pdf: _LetterPdf, closing: list[str], sender: Sender) -> None:
    """The closing formula and the signature stay together: a signature alone on a page signs nothing."""
    st = pdf.style
    pdf.set_font(FONT, size=st.body_size)
    x, width = 112.0, PAGE_W - MARGIN - 112.0
    closing_h = sum(_lines(pdf, p, CONTENT_W) * st.body_line + st.paragraph_gap for p in closing)
    pdf.set_font(FONT, "B", st.body_size)
    signatory_h = _lines(pdf, sender.signatory or pdf.words.signatory, width) * st.body_line
    pdf.set_font(FONT, size=st.body_size)
    if pdf.will_page_break(closing_h + 2 + st.body_line + st.signature_space + signatory_h):
        pdf.add_page()
    for paragraph in closing:  # left-aligned: justifying a short formula only stretches its spaces
        _paragraph(pdf, paragraph, Align.L)
    pdf.ln(2)
    pdf.set_font(FONT, size=st.body_size)
    pdf.set_x(x)
    pdf.cell(width, st.body_line, pdf.text_of(_fit(pdf, sender.name, width)), align=Align.C,
             new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(st.signature_space)
    pdf.set_x(x)
    pdf.set_font(FONT, "B", st.body_size)
    pdf.multi_cell(width, st.body_line, pdf.text_of(sender.signatory or pdf.words.signatory), align=Align.C,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)


# --- text helpers -------------------------------------------------------------------------------------------

def _lines(pdf: _LetterPdf, text: str, width: float) -> int:
    """How many lines ``text`` takes in ``width`` at the current font, with the style's leading."""
    return len(pdf.multi_cell(width, pdf.style.body_line, pdf.text_of(text), dry_run=True, output="LINES"))


def _postal_capitals(text: str) -> str:
    """La Poste's last line: capitals without accents (« Saint-Étienne » → « SAINT-ETIENNE »)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper().strip()


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten a one-line text with « … » so it never spills out of its cell."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


# --- for the other documents in the letter's house style (the litigation dossier) ---------------------------

def set_up_document(pdf: FPDF, *, title: str, author: str, on: date) -> str:
    """The house style's settings for a new A4 document: page breaks, metadata dated ``on`` (a rebuild gives the
    same bytes), the fonts, body text. Returns what to print for U+202F (see :func:`register_fonts`)."""
    pdf.set_auto_page_break(True, margin=BOTTOM_BREAK)
    pdf.set_creation_date(datetime.combine(on, time(0, 0), tzinfo=UTC))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("relance")
    pdf.set_lang("fr-FR")
    pdf.alias_nb_pages("{nb}")
    # DejaVu has U+202F today; a font swap without it must still print « 1 234,56 € » readably.
    nnbsp = register_fonts(pdf)
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.set_text_color(0, 0, 0)
    return nnbsp


def register_fonts(pdf: FPDF) -> str:
    """Add the bundled DejaVu faces (regular, bold) to ``pdf`` as ``FONT``, as the letter does.

    Returns what to print for U+202F: itself, or a no-break space should a font swap lack it.
    """
    fonts = files("relance") / "assets" / "fonts"
    for style, filename in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        with as_file(fonts / filename) as path:
            pdf.add_font(FONT, style, path)
    missing = any(ord(NNBSP) not in font.cmap for font in pdf.fonts.values())
    return "\u00a0" if missing else NNBSP


def fit_text(pdf: FPDF, text: str, width: float) -> str:
    """Shorten a one-line text with « … » so it never spills out of its cell (the letter's own rule)."""
    return _fit(pdf, text, width)
