"""The dashboard as one self-contained HTML page, in French.

Inline CSS, charts as inline SVG, system fonts, no script, nothing fetched: the page can be mailed as an
attachment and opened offline. Every figure sits in a ``<data value="…">`` element carrying the same value
as the CSV cell, and every text is escaped (customer and segment names are user data).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from html import escape

from ..domain.fmt import NNBSP, longdate, money, percent
from .csv import money_cell, number_cell
from .kpis import Kpis, StepEffect

NOT_AVAILABLE = "n/c"

BUCKET_COLOURS = {"not_due": "#3f7fa6", "late_1_30": "#e9b949", "late_31_60": "#e8853d", "late_61_90": "#d04e3c",
                  "late_over_90": "#8c2331"}
STAGE_COLOURS = {"prescribed": "#5b5f66", "litigation": "#8c2331", "disputed": "#9b6bb3", "promise": "#3f9e8f",
                 "formal_notice": "#d04e3c", "reminded": "#e9b949", "not_reminded": "#9fb6c8"}
TONE_COLOURS = {"courtois": "#3f9e6a", "factuel": "#3f7fa6", "ferme": "#e8853d", "formel": "#c0392b"}
OTHER_TONE_COLOURS = ("#7b68ae", "#b5651d", "#2f8f9d", "#a23b72")
NO_TONE_COLOUR = "#7f8c8d"

CSS = """
:root { --ink: #1f2933; --muted: #5f6b7a; --line: #e3e8ee; --bg: #f4f6f9; --card: #ffffff;
        --accent: #1f4e79; --late: #c0392b; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans",
             "DejaVu Sans", sans-serif; font-variant-numeric: tabular-nums; }
header.top { background: var(--accent); color: #fff; padding: 28px 40px 24px; }
header.top .wrap { max-width: 1180px; margin: 0 auto; display: flex; justify-content: space-between;
                   align-items: flex-end; gap: 24px; flex-wrap: wrap; }
header.top p { margin: 0; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; opacity: .8; }
h1 { margin: 4px 0 0; font-size: 26px; font-weight: 650; }
.asof { font-size: 15px; opacity: .95; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 40px 40px; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 14px; margin-bottom: 22px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
        border-top: 4px solid var(--accent); }
.tile.late { border-top-color: var(--late); }
.tile .label { color: var(--muted); font-size: 13px; font-weight: 600; }
.tile .value { font-size: 24px; font-weight: 650; margin: 4px 0 2px; white-space: nowrap; }
.tile.late .value { color: var(--late); }
.tile .sub { color: var(--muted); font-size: 13px; }
.grid { display: grid; grid-template-columns: 1.15fr 1fr; gap: 18px; margin-bottom: 18px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
        margin-bottom: 18px; }
.grid .card { margin-bottom: 0; }
h2 { font-size: 17px; margin: 0 0 4px; color: var(--accent); }
.lede { color: var(--muted); margin: 0 0 12px; font-size: 13.5px; }
svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { padding: 7px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; }
th { color: var(--muted); font-weight: 600; font-size: 12.5px; text-transform: uppercase; letter-spacing: .03em;
     border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.group td { background: #f7f9fb; font-weight: 600; color: var(--accent); }
tfoot td { font-weight: 650; border-top: 2px solid var(--line); border-bottom: none; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; }
.bar { background: #edf1f5; border-radius: 3px; height: 8px; min-width: 40px; }
.bar span { display: block; height: 8px; border-radius: 3px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12.5px; color: #fff; }
.muted { color: var(--muted); }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; color: var(--muted); margin: 6px 0 10px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
sup a { color: var(--accent); text-decoration: none; font-size: 11px; margin-left: 1px; }
.notes { font-size: 13px; color: var(--muted); }
.notes h2 { color: var(--ink); font-size: 15px; }
.notes ol { padding-left: 20px; margin: 0; }
.notes li { margin-bottom: 6px; }
.notes strong { color: var(--ink); }
footer { max-width: 1180px; margin: 0 auto; padding: 0 40px 30px; color: var(--muted); font-size: 12px; }
@media (max-width: 960px) { .tiles { grid-template-columns: repeat(2, 1fr); } .grid { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } .card, .tile { break-inside: avoid; } header.top
  { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""

# Footnote anchors and numbers, in the order the notes are listed.
NOTES = ("encours", "age", "dso", "retard", "recouvrement", "etapes", "efficacite")


def render_html(kpis: Kpis, *, company_name: str, on: date) -> str:
    title = f"Recouvrement — {company_name} — situation au {longdate(on)}" if company_name \
        else f"Recouvrement — situation au {longdate(on)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<header class="top"><div class="wrap"><div>',
        '<p class="eyebrow">Tableau de bord du recouvrement</p>',
        f"<h1>{_e(company_name or 'Encours clients')}</h1></div>",
        f'<p class="asof">Situation au <strong><time datetime="{on.isoformat()}">{_e(longdate(on))}</time>'
        "</strong></p>",
        "</div></header>",
        "<main>",
        _typo(_tiles(kpis)),
        '<div class="grid">',
        _typo(_aged_card(kpis)),
        _typo(_stages_card(kpis)),
        "</div>",
        _debtors_card(kpis),
        _typo(_effect_card(kpis)),
        _typo(_notes(kpis, on)),
        "</main>",
        f"<footer>Rapport établi par relance à partir des factures et de l’historique des relances "
        f"au {_e(longdate(on))}. Montants en euros.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# --- pieces ---------------------------------------------------------------------------------------------

def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _typo(html: str) -> str:
    """No-break spaces before « : ; ? ! » and inside guillemets, as French typography wants."""
    for plain, fixed in ((" :", "\u00a0:"), (" ;", "\u202f;"), (" ?", "\u202f?"), (" !", "\u202f!"),
                         ("« ", "«\u00a0"), (" »", "\u00a0»")):
        html = html.replace(plain, fixed)
    return html


def _data(value: str, shown: str) -> str:
    return f'<data value="{_e(value)}">{_e(shown)}</data>'


def _money(amount: Decimal) -> str:
    return _data(money_cell(amount), money(amount))


def _count(n: int) -> str:
    return _data(number_cell(n), str(n))


def _days(value: Decimal | int | None) -> str:
    if value is None:
        return _data("", NOT_AVAILABLE)
    unit = "jour" if value in (0, 1) else "jours"
    return _data(number_cell(value), f"{number_cell(value)}\u00a0{unit}")


def _share(value: Decimal | None) -> str:
    return _data(number_cell(value), percent(value) if value is not None else NOT_AVAILABLE)


def _note(name: str) -> str:
    return f'<sup><a href="#note-{name}">{NOTES.index(name) + 1}</a></sup>'


def _plural(n: int, word: str) -> str:
    return word if n in (0, 1) else word + "s"


def _tiles(k: Kpis) -> str:
    rec = k.recovery
    tiles = [
        ("", "Encours total", _money(k.open_total), _note("encours"),
         f"{_count(k.open_count)} {_plural(k.open_count, 'facture')} {_plural(k.open_count, 'ouverte')}"),
        ("late", "Dont en retard", _money(k.overdue_total), _note("age"),
         f"{_share(k.overdue_share)} de l’encours · {_count(k.overdue_count)} "
         f"{_plural(k.overdue_count, 'facture')}"),
        ("", "DSO", _days(k.dso_days), _note("dso"),
         f"facturé sur {k.dso_period_days} jours : {_money(k.dso_sales)}"),
        ("", "Retard moyen", _days(k.average_days_late), _note("retard"),
         f"pondéré par les montants : {_days(k.weighted_days_late)}"),
        ("", "Taux de recouvrement", _share(rec.rate), _note("recouvrement"),
         f"{_money(rec.recovered)} réglés sur {_money(rec.fell_overdue)} tombés en retard "
         f"({_count(rec.count)} {_plural(rec.count, 'facture')}, {rec.window_days} jours)"),
    ]
    out = ['<section class="tiles" aria-label="Chiffres clés">']
    for css, label, value, note, sub in tiles:
        out.append(f'<div class="tile {css}"><div class="label">{_e(label)}{note}</div>'
                   f'<div class="value">{value}</div><div class="sub">{sub}</div></div>')
    out.append("</section>")
    return "\n".join(out)


def _aged_card(k: Kpis) -> str:
    rows = []
    for bucket in k.aged:
        colour = BUCKET_COLOURS[bucket.key]
        rows.append(f'<tr><td><span class="swatch" style="background:{colour}"></span>{_e(bucket.label)}</td>'
                    f'<td class="num">{_money(bucket.amount)}</td><td class="num">{_count(bucket.count)}</td>'
                    f'<td class="num">{_share(bucket.share)}</td></tr>')
    return (f'<section class="card"><h2>Balance âgée{_note("age")}</h2>'
            f'<p class="lede">Reste à payer des factures ouvertes, selon le retard au {_e(longdate(k.on))}.</p>'
            f"{_aged_chart(k)}"
            '<table><thead><tr><th>Retard</th><th class="num">Montant</th><th class="num">Factures</th>'
            '<th class="num">Part</th></tr></thead><tbody>' + "".join(rows) + "</tbody>"
            f'<tfoot><tr><td>Total</td><td class="num">{_money(k.open_total)}</td>'
            f'<td class="num">{_count(k.open_count)}</td><td></td></tr></tfoot></table></section>')


def _aged_chart(k: Kpis) -> str:
    width, height, top, bottom, left = 640, 270, 34, 52, 10
    slot = (width - 2 * left) / len(k.aged)
    bar_w = slot * 0.62
    plot_h = height - top - bottom
    peak = max((b.amount for b in k.aged), default=Decimal(0))
    label = "Balance âgée : " + " ; ".join(f"{b.label} {money(b.amount)}" for b in k.aged)
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{_e(label)}</title>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#c9d2dc"/>']
    for i, bucket in enumerate(k.aged):
        h = float(bucket.amount / peak) * plot_h if peak > 0 else 0.0
        h = max(h, 2.0) if bucket.amount > 0 else 0.0
        x = left + i * slot + (slot - bar_w) / 2
        cx = left + i * slot + slot / 2
        y = top + plot_h - h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="3" '
                   f'fill="{BUCKET_COLOURS[bucket.key]}"><title>{_e(bucket.label)} : {_e(money(bucket.amount))}'
                   f"</title></rect>")
        out.append(f'<text x="{cx:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="13" font-weight="600" '
                   f'fill="#1f2933">{_e(money(bucket.amount))}</text>')
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 20:.1f}" text-anchor="middle" font-size="13" '
                   f'fill="#1f2933">{_e(bucket.label)}</text>')
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 38:.1f}" text-anchor="middle" font-size="12" '
                   f'fill="#5f6b7a">{bucket.count} {_plural(bucket.count, "facture")}</text>')
    out.append("</svg>")
    return "".join(out)


def _stages_card(k: Kpis) -> str:
    rows = []
    for stage in k.stages:
        colour = STAGE_COLOURS.get(stage.key, NO_TONE_COLOUR)
        width = f"{stage.share:f}" if stage.share is not None else "0"
        rows.append(f'<tr><td><span class="swatch" style="background:{colour}"></span>{_e(stage.label)}</td>'
                    f'<td class="num">{_money(stage.amount)}</td><td class="num">{_count(stage.count)}</td>'
                    f'<td class="num">{_share(stage.share)}</td>'
                    f'<td><div class="bar"><span style="width:{width}%;background:{colour}"></span></div></td></tr>')
    return (f'<section class="card"><h2>Encours par étape{_note("etapes")}</h2>'
            '<p class="lede">Où en est chaque facture ouverte : une seule étape par facture, '
            "la plus avancée.</p>"
            '<table><thead><tr><th>Étape</th><th class="num">Montant</th><th class="num">Factures</th>'
            '<th class="num">Part</th><th style="width:16%"></th></tr></thead><tbody>' + "".join(rows) + "</tbody>"
            f'<tfoot><tr><td>Total</td><td class="num">{_money(k.open_total)}</td>'
            f'<td class="num">{_count(k.open_count)}</td><td></td><td></td></tr></tfoot></table></section>')


def _debtors_card(k: Kpis) -> str:
    head = (f'<section class="card"><h2>Principaux débiteurs</h2><p class="lede">Les {len(k.top_debtors) or 10} '
            "clients qui doivent le plus en retard.</p>")
    if not k.top_debtors:
        return head + '<p class="muted">Aucune facture en retard.</p></section>'
    rows = []
    for rank, d in enumerate(k.top_debtors, start=1):
        rows.append(f'<tr><td class="num muted">{rank}</td><td>{_e(d.name)}</td>'
                    f'<td class="num">{_money(d.overdue_amount)}</td><td class="num">{_count(d.overdue_count)}</td>'
                    f'<td class="num">{_days(d.oldest_days_late)}</td><td class="num">{_money(d.open_amount)}</td>'
                    "</tr>")
    return (head + '<table><thead><tr><th class="num">n°</th><th>Client</th><th class="num">Montant en retard</th>'
            '<th class="num">Factures en retard</th><th class="num">Plus ancien retard</th>'
            '<th class="num">Encours total</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>")


def _effect_card(k: Kpis) -> str:
    window = k.effect_window_days
    head = (f'<section class="card"><h2>Quelle relance fait payer ?{_note("efficacite")}</h2>'
            f'<p class="lede">Part des factures réglées dans les {window} jours qui suivent chaque étape, '
            f"par segment et par ton. Seules les relances envoyées au plus tard le "
            f"{_e(longdate(k.on - timedelta(days=window)))} sont mesurées.</p>")
    if not k.effectiveness:
        return head + '<p class="muted">Aucune relance n’a encore été envoyée.</p></section>'
    tones = _tone_colours(t.tone for t in k.by_tone)
    legend = "".join(f'<span><span class="swatch" style="background:{colour}"></span>{_e(tone or "sans ton")}</span>'
                     for tone, colour in tones.items())
    rows = []
    current: str | None = "\0"
    for e in k.effectiveness:
        if e.segment != current:
            current = e.segment
            rows.append(f'<tr class="group"><td colspan="9">Segment {_e(e.segment_label)}</td></tr>')
        rows.append(f"<tr><td>{_e(e.step)}</td><td>{_e(e.at or '—')}</td><td>{_e(e.channel_label)}</td>"
                    f'<td><span class="pill" style="background:{tones[e.tone]}">{_e(e.tone_label)}</span></td>'
                    f'<td class="num">{_count(e.carried_out)}</td><td class="num">{_count(e.counted)}</td>'
                    f'<td class="num">{_count(e.paid_within)}</td><td class="num"><strong>{_share(e.share)}'
                    f'</strong></td><td class="num">{_money(e.recovered)}</td></tr>')
    tone_rows = [f'<tr><td><span class="pill" style="background:{tones[t.tone]}">{_e(t.tone_label)}</span></td>'
                 f'<td class="num">{_count(t.carried_out)}</td><td class="num">{_count(t.counted)}</td>'
                 f'<td class="num">{_count(t.paid_within)}</td><td class="num"><strong>{_share(t.share)}</strong>'
                 f'</td><td class="num">{_money(t.recovered)}</td></tr>' for t in k.by_tone]
    pending = k.pending_steps
    pending_text = (f'<p class="muted">{pending} {_plural(pending, "relance")} {_plural(pending, "récente")} '
                    f"({_plural(pending, 'envoyée')} après le {_e(longdate(k.on - timedelta(days=window)))}) : "
                    f"délai de {window} jours pas encore écoulé, pas encore mesurée{'s' if pending > 1 else ''}."
                    "</p>") if pending else ""
    return (head + f'<div class="legend">Ton :{legend}</div>' + _effect_chart(k, tones)
            + '<h3>Par ton</h3><table><thead><tr><th>Ton</th><th class="num">Envoyées</th>'
            f'<th class="num">Mesurées</th><th class="num">Payées sous {window} jours</th><th class="num">Part</th>'
            '<th class="num">Montant recouvré</th></tr></thead><tbody>' + "".join(tone_rows) + "</tbody></table>"
            '<h3>Par segment et par étape</h3>'
            '<table><thead><tr><th>Étape</th><th>Quand</th><th>Canal</th><th>Ton</th><th class="num">Envoyées</th>'
            f'<th class="num">Mesurées</th><th class="num">Payées sous {window} jours</th><th class="num">Part</th>'
            '<th class="num">Montant recouvré</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
            + pending_text + "</section>")


def _effect_chart(k: Kpis, tones: dict[str | None, str]) -> str:
    width, label_w, value_w, row_h, group_h = 1060, 330, 150, 26, 28
    plot_w = width - label_w - value_w
    lines: list[StepEffect | str] = []  # a segment's name, then its steps
    current: str | None = "\0"
    for e in k.effectiveness:
        if e.segment != current:
            current = e.segment
            lines.append(e.segment_label)
        lines.append(e)
    height = 30 + sum(group_h if isinstance(line, str) else row_h for line in lines) + 8
    desc = "Part des factures payées sous 7 jours, par étape : " + " ; ".join(
        f"{e.label} {percent(e.share) if e.share is not None else NOT_AVAILABLE}" for e in k.effectiveness)
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(desc)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{_e(desc)}</title>']
    for tick in (0, 25, 50, 75, 100):
        x = label_w + plot_w * tick / 100
        out.append(f'<line x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{height - 8}" stroke="#e3e8ee"/>'
                   f'<text x="{x:.1f}" y="15" text-anchor="middle" font-size="11" fill="#5f6b7a">'
                   f"{tick}{NNBSP}%</text>")
    y = 30
    for e in lines:
        if isinstance(e, str):
            out.append(f'<text x="0" y="{y + 19}" font-size="13" font-weight="700" fill="#1f4e79">'
                       f"Segment {_e(e)}</text>")
            y += group_h
            continue
        label = f"{e.step} · {e.at or '—'} · {e.channel_label}"
        out.append(f'<text x="14" y="{y + 17}" font-size="12.5" fill="#1f2933">{_e(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 5}" width="{plot_w}" height="{row_h - 10}" rx="3" '
                   'fill="#f1f4f7"/>')
        if e.share is not None:
            w = plot_w * float(e.share) / 100
            if e.share > 0:
                out.append(f'<rect x="{label_w}" y="{y + 5}" width="{max(w, 2):.1f}" height="{row_h - 10}" rx="3" '
                           f'fill="{tones[e.tone]}"><title>{_e(e.label)} : {_e(percent(e.share))}</title></rect>')
            text = f"{percent(e.share)} ({e.paid_within}/{e.counted})"
            colour = "#1f2933"
        else:
            text = "pas encore mesurable"
            colour = "#8a96a3"
        out.append(f'<text x="{label_w + plot_w + 10}" y="{y + 17}" font-size="12.5" font-weight="600" '
                   f'fill="{colour}">{_e(text)}</text>')
        y += row_h
    out.append("</svg>")
    return "".join(out)


def _notes(k: Kpis, on: date) -> str:
    day = _e(longdate(on))
    dso_from = _e(longdate(on - timedelta(days=k.dso_period_days - 1)))
    rec = k.recovery
    rec_from = _e(longdate(on - timedelta(days=rec.window_days)))
    rec_to = _e(longdate(on - timedelta(days=1)))
    window = k.effect_window_days
    last = _e(longdate(on - timedelta(days=window)))
    notes = {
        "encours": f"<strong>Encours</strong> : reste à payer, au {day} au soir, des factures émises au plus tard ce "
                   "jour-là, ni annulées ni soldées (montant dû, augmenté des paiements datés d’après le "
                   f"{day}). Les factures prescrites, contestées ou au contentieux en font partie. "
                   "<strong>Dont en retard</strong> : factures dont l’échéance est dépassée.",
        "age": f"<strong>Balance âgée</strong> : retard = nombre de jours entre l’échéance et le {day}. "
               f"« Non échu » : échéance au {day} ou plus tard.",
        "dso": "<strong>DSO</strong> (délai moyen de paiement clients, méthode simple) : encours clients au "
               f"{day} ÷ montant des factures émises sur les {k.dso_period_days} derniers jours (du {dso_from} "
               f"au {day}) × {k.dso_period_days}. « {NOT_AVAILABLE} » quand aucune facture n’a été émise sur la "
               "période.",
        "retard": "<strong>Retard moyen</strong> : moyenne des jours de retard des factures ouvertes dont "
                  "l’échéance est dépassée ; la moyenne pondérée donne à chaque facture le poids de son reste "
                  "à payer.",
        "recouvrement": f"<strong>Taux de recouvrement</strong> : factures arrivées à échéance du {rec_from} au "
                        f"{rec_to} et restées (au moins en partie) impayées à l’échéance ; part de ces restes à "
                        f"payer réglée au {day}, paiements partiels compris.",
        "etapes": "<strong>Encours par étape</strong> : chaque facture ouverte est classée dans la première "
                  "situation qui s’applique — prescrite (5 ans après l’échéance entre professionnels, 2 ans "
                  "après la prestation pour un particulier), au contentieux (statut contentieux ou injonction de "
                  "payer engagée), contestée, promesse de paiement en cours, mise en demeure envoyée (recommandé), "
                  "relancée (au moins une relance, préventive comprise), sans relance. Le total des étapes est "
                  "donc l’encours.",
        "efficacite": f"<strong>Quelle relance fait payer ?</strong> Chaque relance envoyée compte pour son "
                      f"segment et son étape ; elle est « payée sous {window} jours » quand la facture est soldée "
                      f"entre le jour de la relance et le {window}<sup>e</sup> jour qui suit, inclus. Le segment "
                      "est celui où la facture tombait le jour de la relance, selon les règles actuelles appliquées au "
                      "reste à payer et à l’encours du client de ce jour-là ; le ton "
                      "est celui de l’étape dans le scénario de ce segment. Seules les relances envoyées au plus "
                      f"tard le {last} sont mesurées : pour les plus récentes, le délai de {window} jours n’est "
                      "pas écoulé. Montant recouvré : le reste à payer soldé dans ce délai, ou à défaut les "
                      f"paiements partiels reçus. Deux relances à moins de {window} jours d’intervalle peuvent "
                      "compter le même paiement.",
    }
    items = [f'<li id="note-{name}">{notes[name]}</li>' for name in NOTES]
    if k.other_currency_count:
        n = k.other_currency_count
        items.append(f"<li>{_count(n)} {_plural(n, 'facture')} dans une autre devise que l’euro "
                     f"{'ne sont pas comptées' if n > 1 else 'n’est pas comptée'}.</li>")
    return '<section class="card notes"><h2>Définitions</h2><ol>' + "".join(items) + "</ol></section>"


# --- helpers --------------------------------------------------------------------------------------------

def _tone_colours(tones: Iterable[str | None]) -> dict[str | None, str]:
    out: dict[str | None, str] = {}
    spare = iter(OTHER_TONE_COLOURS * 4)
    for tone in tones:
        if tone in out:
            continue
        if tone is None:
            out[tone] = NO_TONE_COLOUR
        else:
            out[tone] = TONE_COLOURS.get(tone) or next(spare, NO_TONE_COLOUR)
    return out


