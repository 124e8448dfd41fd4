"""The three PDFs of the injonction de payer dossier: the requête, the décompte and the chronology.

Pure: ``DossierFacts`` in, PDF bytes out; the same facts give the same bytes (the creation date is the
dossier's date, the file id a hash of the content). Same house style as the postal letter (A4, DejaVu, the
creditor's letterhead on every page, « Page n/N » in the footer), whose fonts and constants are reused.

What the documents *say* is in templates (``texts/templates/requete.fr.j2``, ``decompte.fr.j2``,
``chronologie.fr.j2``; a rules directory may override them): this module gathers the facts they read and lays
out the blocks they write. The requête carries every mention of CPC art. 1407 (with art. 57). Nothing here
decides whether a case may go to court: eligibility is the claim module's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from ..domain.claim import Claim
from ..domain.fmt import NNBSP, cents, group_siren, percent
from ..domain.labels import CHANNEL_WAYS
from ..domain.model import Address
from ..letters import LetterLine, Sender, capital_text, identity_text
from ..letters.pdf import (
    BODY_LINE,
    BODY_SIZE,
    CONTENT_W,
    FONT,
    FOOTER_TOP,
    GREY,
    LIGHT,
    MARGIN,
    PAGE_W,
    PARAGRAPH_GAP,
    SMALL_SIZE,
    TABLE_FILL,
    TOP,
    first_that_fits,
    fit_text,
    set_up_document,
)
from ..texts import Block, render_blocks
from ..texts.french import address_text, is_individual, join
from .history import (
    CALLS_MADE,
    PAYMENT_KINDS,
    channel_label,
    day_text,
    event_text,
    events_of,
    formal_notice,
    label,
    references,
    timeline,
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
    claims: tuple[Claim, ...]  # one per invoice, in the order of ``invoices``
    court: dict[str, str | None]  # {"type": "tribunal_de_commerce" | "tribunal_judiciaire" | None, "city", "name"}
    small_claims_eligible: bool
    chronology: tuple[dict[str, Any], ...]  # history events: {"date", "kind", "channel", "step", …} as strings
    exhibits: tuple[Exhibit, ...]
    place: str  # « Fait à <place>, le <on> »
    on: date
    cgv_rate: str | None = None  # the CGV's late-payment rate ("15") when it replaces BCE + 10 points
    rules_dir: Path | None = None  # where ``templates/documents/`` may override the packaged templates


SIGNATURE_H = 64.0  # « Sous toutes réserves », place and date, signatory, room to sign


def render_requete(f: DossierFacts) -> bytes:
    """The request to the court (CPC art. 1405 s.), with its bordereau of exhibits.

    A note to the creditor (the small-claims procedure) speaks to the creditor, not to the judge: it gets its own
    last page, outside the request's numbering (« Page n/N » counts the request's pages only), so the creditor
    can leave it out of what is filed. A first layout counts those pages."""
    blocks = render_blocks("requete.fr.j2", _context(f), f.rules_dir)
    if not any(b.kind == "notepage" for b in blocks):
        return bytes(_lay_out(f, blocks).output())
    return bytes(_lay_out(f, blocks, numbered=_lay_out(f, blocks, count_only=True).pages_count).output())


def render_decompte(f: DossierFacts) -> bytes:
    """The claim computed period by period: days, rates, bases, amounts, then the totals."""
    return bytes(_lay_out(f, render_blocks("decompte.fr.j2", _context(f), f.rules_dir)).output())


def render_chronologie(f: DossierFacts) -> bytes:
    """Every reminder, call, letter, delivery and payment of the history, by date, in French."""
    return bytes(_lay_out(f, render_blocks("chronologie.fr.j2", _context(f), f.rules_dir)).output())


# --- what the templates read --------------------------------------------------------------------------------

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
    """The dossier's claims added up: one debtor's invoices in one requête."""

    on: date
    principal: Decimal
    interest: Decimal
    indemnity: Decimal
    total: Decimal
    periods: tuple[_Period, ...]
    warnings: tuple[str, ...]  # those the court may read (not the creditor's own)

    @classmethod
    def of(cls, claims: Sequence[Claim]) -> _Sums:
        def total(name: str) -> Decimal:
            return sum((getattr(c, name) for c in claims), Decimal(0))

        periods = tuple(_Period(c.invoice, p.start, p.end, p.days, p.rate, p.base, p.amount)
                        for c in claims for p in c.periods)
        warnings = tuple(dict.fromkeys(w for c in claims for w in c.warnings if w not in c.for_creditor))
        return cls(claims[0].on, total("principal"), total("interest"), total("indemnity"), total("total"),
                   periods, warnings)


def _rates(sums: _Sums) -> str:
    """The rates of the periods, in order: « 13,15 % puis 12,15 % »."""
    rates: list[str] = []
    for period in sums.periods:
        if not rates or rates[-1] != percent(period.rate):
            rates.append(percent(period.rate))
    return join(rates, " puis ")


def _court(f: DossierFacts) -> SimpleNamespace:
    """Whom the request is addressed to. The exact name from the table of courts; never a court made up from the
    debtor's city — unknown, the header says « compétent » and the filing guide says how to find it."""
    kind = f.court.get("type", "")
    if kind not in ("tribunal_de_commerce", "tribunal_judiciaire"):
        kind = "tribunal_judiciaire" if f.debtor_kind == "consumer" else "tribunal_de_commerce"
    name = (f.court.get("name") or "").strip()
    if name:
        phrase = f"de la {name}" if name.lower().startswith("chambre") else f"du {name}"
    else:
        phrase = "du tribunal judiciaire compétent" if kind == "tribunal_judiciaire" \
            else "du tribunal de commerce compétent"
    judge = "Madame, Monsieur le Juge" if kind == "tribunal_judiciaire" else "Madame, Monsieur le Président"
    return SimpleNamespace(type=kind, judge=judge, name=phrase)


def _party(name: str, legal_form: str, siren: str, address: Address, **more: Any) -> SimpleNamespace:
    # « 841 273 659 » with no-break spaces: a SIREN split across two lines reads as two numbers.
    siren = group_siren(siren).replace(" ", "\u00a0") if siren else ""
    return SimpleNamespace(name=name, legal_form=legal_form, siren=siren,
                           address=address, individual=is_individual(legal_form), **more)


def _pieces(f: DossierFacts, needle: str) -> list[int]:
    """The numbers of the exhibits whose title names ``needle`` (an invoice number, « décompte »…)."""
    wanted = needle.casefold()
    return [e.number for e in sorted(f.exhibits, key=lambda e: e.number) if wanted in e.title.casefold()]


def _context(f: DossierFacts) -> dict[str, Any]:
    sums = _Sums.of(f.claims)
    events = events_of(f.chronology)
    notice = formal_notice(events)
    sent = sorted({(e.day, e.message_key or e.kind, e.channel) for e in events if e.day is not None
                   and e.kind == "sent" and e.channel not in ("registered_letter", "litigation")})
    receipt = _pieces(f, "avis de réception") or _pieces(f, "accusé de réception")
    several = len(f.invoices) > 1
    c = f.creditor
    return {
        "creditor": _party(c.name, c.legal_form, c.siren, c.address, email=c.email, phone=c.phone,
                           signatory=c.signatory, rcs_city=c.rcs_city, share_capital=c.share_capital,
                           capital=capital_text(c.share_capital) if c.share_capital else ""),
        "debtor": _party(f.debtor_name, f.debtor_legal_form, f.debtor_siren, f.debtor_address),
        "consumer": f.debtor_kind == "consumer", "court": _court(f), "sums": sums, "rates": _rates(sums),
        "cgv_rate": f.cgv_rate, "invoices": f.invoices, "on": f.on, "place": f.place,
        "invoices_total": sum((line.amount_due for line in f.invoices), Decimal(0)),
        "last_due": max((line.due_date for line in f.invoices), default=None),
        "exhibits": sorted(f.exhibits, key=lambda e: e.number), "pieces": lambda needle: _pieces(f, needle),
        "invoice_pieces": sorted({n for line in f.invoices for n in _pieces(f, line.invoice)}),
        "notice": notice, "receipt_pieces": receipt,
        "notice_pieces": [n for n in _pieces(f, "mise en demeure") if n not in receipt],
        "reminders": [day for day, _, _ in sent],
        "reminder_ways": join(sorted({CHANNEL_WAYS.get(channel, "") for _, _, channel in sent} - {""})),
        "calls_made": any(e.kind in CALLS_MADE for e in events),  # a call only queued (call_task) was not made
        "later_start": sums.on + timedelta(days=1),
        "daily": sums.principal * sums.periods[-1].rate / Decimal(36500) if sums.periods else Decimal(0),
        "several_period_invoices": len({p.invoice for p in sums.periods}) > 1,
        "payments": [SimpleNamespace(day=day_text(e.day), label=label(e), amount=e.amount) for e in events
                     if e.kind in PAYMENT_KINDS and e.amount is not None],
        "timeline": [SimpleNamespace(day=day_text(e.day), text=event_text(e), channel=channel_label(e.channel),
                                     references=references(e, several)) for e in timeline(f.invoices, events, f.on)],
        "case_line": f"{c.name} c/ {f.debtor_name} – annexe à la requête en injonction de payer",
        "small_claims": f.debtor_kind == "consumer" and f.small_claims_eligible,
        **_imputation(f, sums),
    }


def _imputation(f: DossierFacts, sums: _Sums) -> dict[str, Any]:
    """With ``interest_first``, what the partial payments paid on the penalties and on the principal, in cents as
    they were settled, so that the décompte adds up on its face: invoiced − paid on the principal = principal
    due; accrued − paid on the penalties = penalties due (the amounts are the claim's, unchanged)."""
    interest_paid = sum((cents(c.interest_paid) for c in f.claims), Decimal(0))
    invoiced = sum((line.amount for line in f.invoices), Decimal(0))
    principal_paid = invoiced - sums.principal
    return {"interest_paid": interest_paid, "invoiced": invoiced, "principal_paid": principal_paid,
            "paid": interest_paid + principal_paid, "accrued": sums.interest + interest_paid}


# --- layout -------------------------------------------------------------------------------------------------

HEADER_BOTTOM = TOP + 12.0


class Parties(Protocol):
    """What the house style's header and footer name: the dossier's facts, or the payment plan agreement's."""

    @property
    def creditor(self) -> Sender: ...
    @property
    def debtor_name(self) -> str: ...
    @property
    def on(self) -> date: ...


class _DossierPdf(FPDF):
    """A4 in the letter's style: the creditor's letterhead on top, the case and « Page n/N » at the foot."""

    versus = " c/ "  # « Atelier Bois & Fils c/ Dupont Rénovation »: the parties as a case names them
    lang = "fr-FR"

    def __init__(self, f: Parties, title: str, short: str, numbered: int | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.facts = f
        self.short = short
        self.numbered = numbered  # the request's own page count, when an unnumbered note follows it
        self.note_page = ""  # the footer of a page outside the request's numbering
        self.set_margins(MARGIN, HEADER_BOTTOM + 4, MARGIN)
        self.nnbsp = set_up_document(self, title=f"{title} – {f.creditor.name}{self.versus}{f.debtor_name}",
                                     author=f.creditor.name, on=f.on)
        self.set_lang(self.lang)

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
        lines = [" – ".join(p for p in (identity, address_text(creditor.address)) if p), identity]
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
            self.cell(CONTENT_W, 4, self.t(self.note_page), align=Align.L)
        else:
            case = f"{self.short} – {self.facts.creditor.name}{self.versus}{self.facts.debtor_name}"
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


_SIZES = {"small": SMALL_SIZE}
_COLOURS = {"grey": GREY}
_KEEP = {"signature": BODY_LINE + SIGNATURE_H}  # the signature never stands alone: the last request comes with it


def _size(block: Block, default: float) -> float:
    value = block.option("size")
    return _SIZES[value] if value in _SIZES else (float(value) if value else default)


def _lay_out(f: Parties, blocks: Sequence[Block], numbered: int | None = None,
             count_only: bool = False, style: type[_DossierPdf] | None = None) -> _DossierPdf:
    """The blocks a template wrote, laid out in the house style (``style``: a variant of its header and footer)."""
    document = next(b for b in blocks if b.kind == "document")
    title, short = document.each
    pdf = (style or _DossierPdf)(f, title, short, numbered=numbered)
    pdf.add_page()
    for block in blocks:
        if block.kind == "notepage" and count_only:
            break
        keep = block.option("keep")
        if keep:
            pdf.keep(_KEEP[keep] if keep in _KEEP else BODY_LINE * float(keep))
        _LAYOUTS[block.kind](pdf, block)
    return pdf


def _para(pdf: _DossierPdf, b: Block) -> None:
    pdf.para(b.text, align=Align.coerce(b.option("align", "J")), size=_size(b, BODY_SIZE), style=b.option("style"),
             colour=_COLOURS.get(b.option("colour"), (0, 0, 0)), indent=b.number("indent", 0),
             gap=b.number("gap", PARAGRAPH_GAP))


def _title(pdf: _DossierPdf, b: Block) -> None:
    title, *subtitle = b.each
    pdf.title_block(title, " ".join(subtitle), size=_size(b, 14))


def _table(pdf: _DossierPdf, b: Block) -> None:
    widths = [float(w) for w in b.option("widths").split(",")]
    aligns = b.option("aligns").split(",")
    headings = b.option("headings", "yes") != "no"
    rows = b.rows
    names = rows[0] if headings else [""] * len(widths)
    _grid(pdf, list(zip(names, widths, aligns, strict=True)), rows[1:] if headings else rows,
          totals=[(label, amount) for label, amount in b.totals], headings=headings, size=_size(b, 9.5))


def _addressee(pdf: _DossierPdf, b: Block) -> None:
    x = 100.0
    pdf.set_font(FONT, "B", 11)
    pdf.set_x(x)
    pdf.multi_cell(PAGE_W - MARGIN - x, 5.5, pdf.t("\n".join(b.each)), align=Align.L, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(8)


def _signature(pdf: _DossierPdf, b: Block) -> None:
    """Place, date and signature stay together: a signature alone on a page signs nothing."""
    reserve, made, *signer, caption = b.each
    pdf.keep(SIGNATURE_H)
    pdf.ln(2)
    pdf.para(reserve, align=Align.L, style="B", gap=4)
    pdf.para(made, align=Align.L)
    x, width = 105.0, PAGE_W - MARGIN - 105.0
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.set_x(x)
    pdf.multi_cell(width, BODY_LINE, pdf.t("\n".join(signer)), align=Align.L, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(14)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(x, pdf.get_y(), x + 60, pdf.get_y())
    pdf.set_xy(x, pdf.get_y() + 1)
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(60, 4, pdf.t(caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)


def _bordereau(pdf: _DossierPdf, b: Block) -> None:
    heading, subtitle, continued = b.each[:3]
    pieces = b.rows[3:]
    pdf.keep(BODY_LINE * 4 + 8 * min(len(pieces), 3))
    pdf.rule()
    pdf.heading(heading, gap=0.5)
    pdf.para(subtitle, align=Align.L, size=9, colour=GREY)
    label_w = 25.0
    for number, title, filename in pieces:
        pdf.set_font(FONT, size=BODY_SIZE)
        lines = len(pdf.multi_cell(CONTENT_W - label_w, BODY_LINE, pdf.t(title), dry_run=True, output="LINES"))
        if pdf.will_page_break(lines * BODY_LINE + 5):
            pdf.add_page()
            pdf.heading(continued, gap=0.5)
        pdf.set_font(FONT, "B", BODY_SIZE)
        pdf.set_x(MARGIN)
        pdf.cell(label_w, BODY_LINE, pdf.t(number))
        pdf.set_font(FONT, size=BODY_SIZE)
        pdf.multi_cell(CONTENT_W - label_w, BODY_LINE, pdf.t(title), align=Align.L, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.set_x(MARGIN + label_w)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*GREY)
        pdf.cell(CONTENT_W - label_w, 3.8, pdf.t(fit_text(pdf, filename, CONTENT_W - label_w)),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.2)


def _note_page(pdf: _DossierPdf, b: Block) -> None:
    pdf.add_page()
    pdf.note_page = b.text  # after the break: the request's last page keeps its own footer


def _box(pdf: _DossierPdf, b: Block) -> None:
    title, *paragraphs = b.items
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


_LAYOUTS = {
    "document": lambda pdf, b: None,
    "addressee": _addressee,
    "title": _title,
    "heading": lambda pdf, b: pdf.heading(b.text, gap=b.number("gap", 1.5)),
    "para": _para,
    "bullets": lambda pdf, b: pdf.bullets(b.items, indent=b.number("indent", 0), mark=b.option("mark", "–")),
    "space": lambda pdf, b: pdf.ln(b.number("mm", 0)),
    "table": _table,
    "signature": _signature,
    "bordereau": _bordereau,
    "notepage": _note_page,
    "box": _box,
}
