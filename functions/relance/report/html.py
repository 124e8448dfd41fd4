"""The dashboard as one self-contained HTML page, in French.

Inline CSS, charts as inline SVG, system fonts, no script, nothing fetched: the page can be mailed as an
attachment and opened offline. Every figure sits in a ``<data value="…">`` element carrying the same value
as the CSV cell, and every text is escaped (customer and segment names are user data).

What the page says is the template ``texts/templates/rapport.fr.html.j2`` (autoescaped; a rules directory may
override it); this module gives it the figures and the charts' geometry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from ..domain.fmt import NNBSP, money, percent
from ..domain.labels import PLAN_FIGURES, PLAN_SECTION
from ..texts import render_text
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

# Footnote anchors and numbers, in the order the notes are listed.
NOTES = ("encours", "age", "dso", "retard", "recouvrement", "etapes", "efficacite", "echeanciers")


def render_html(kpis: Kpis, *, company_name: str, on: date, rules_dir: Path | None = None) -> str:
    k = kpis
    rec = k.recovery
    window = k.effect_window_days
    tones = _tone_colours(t.tone for t in k.by_tone)
    return render_text("rapport.fr.html.j2", {
        "company_name": company_name, "on": on, "on_kpis": k.on, "notes_order": NOTES, "NNBSP": NNBSP,
        "k": SimpleNamespace(
            open_total=_money(k.open_total), open_count=_count(k.open_count), overdue_total=_money(k.overdue_total),
            overdue_share=_share(k.overdue_share), overdue_count=_count(k.overdue_count), dso_days=_days(k.dso_days),
            dso_period_days=k.dso_period_days, dso_sales=_money(k.dso_sales),
            average_days_late=_days(k.average_days_late), weighted_days_late=_days(k.weighted_days_late),
            recovery_rate=_share(rec.rate), recovered=_money(rec.recovered), fell_overdue=_money(rec.fell_overdue),
            recovery_count=_count(rec.count), recovery_window=rec.window_days),
        "aged": [SimpleNamespace(colour=BUCKET_COLOURS[b.key], label=b.label, amount=_money(b.amount),
                                 count=_count(b.count), share=_share(b.share)) for b in k.aged],
        "aged_chart": _aged_chart(k),
        "stages": [SimpleNamespace(colour=STAGE_COLOURS.get(s.key, NO_TONE_COLOUR), label=s.label,
                                   amount=_money(s.amount), count=_count(s.count), share=_share(s.share),
                                   width=f"{s.share:f}" if s.share is not None else "0") for s in k.stages],
        "debtors": [SimpleNamespace(name=d.name, overdue_amount=_money(d.overdue_amount),
                                    overdue_count=_count(d.overdue_count), oldest=_days(d.oldest_days_late),
                                    open_amount=_money(d.open_amount)) for d in k.top_debtors],
        "window": window, "last_measured": k.on - timedelta(days=window), "pending": k.pending_steps,
        "effect": _effect_rows(k, tones),
        "tones": [SimpleNamespace(name=tone, colour=colour) for tone, colour in tones.items()],
        "by_tone": [SimpleNamespace(colour=tones[t.tone], label=t.tone_label, carried_out=_count(t.carried_out),
                                    counted=_count(t.counted), paid_within=_count(t.paid_within),
                                    share=_share(t.share), recovered=_money(t.recovered)) for t in k.by_tone],
        "effect_chart": _effect_chart(k, tones) if k.effectiveness else None,
        "dso_from": on - timedelta(days=k.dso_period_days - 1),
        "rec_from": on - timedelta(days=rec.window_days), "rec_to": on - timedelta(days=1),
        "other_currency": _count(k.other_currency_count) if k.other_currency_count else None,
        "plans": _plans(k),
    }, rules_dir)


def _plans(k: Kpis) -> SimpleNamespace:
    p = k.plans
    values = {"agreed": _count(p.agreed), "agreed_amount": _money(p.agreed_amount), "running": _count(p.running),
              "kept": _count(p.kept), "broken": _count(p.broken), "kept_share": _share(p.kept_share),
              "portal_recovered": _money(p.portal_recovered), "portal_payments": _count(p.portal_payments)}
    return SimpleNamespace(title=PLAN_SECTION, since=k.on - timedelta(days=p.window_days - 1), rows=[
        SimpleNamespace(label=PLAN_FIGURES[key].format(days=p.window_days), value=value)
        for key, value in values.items()])


# --- pieces ---------------------------------------------------------------------------------------------

def _data(value: str, shown: str, n: int | Decimal | None = None) -> SimpleNamespace:
    """A figure: the CSV cell's ``value`` and what the page ``shown``s (``<data value="…">…</data>``)."""
    return SimpleNamespace(value=value, shown=shown, n=n)


def _money(amount: Decimal) -> SimpleNamespace:
    return _data(money_cell(amount), money(amount))


def _count(n: int) -> SimpleNamespace:
    return _data(number_cell(n), str(n), n)


def _days(value: Decimal | int | None) -> SimpleNamespace:
    if value is None:
        return _data("", NOT_AVAILABLE)
    unit = "jour" if value in (0, 1) else "jours"
    return _data(number_cell(value), f"{number_cell(value)}\u00a0{unit}")


def _share(value: Decimal | None) -> SimpleNamespace:
    return _data(number_cell(value), percent(value) if value is not None else NOT_AVAILABLE)


def _aged_chart(k: Kpis) -> SimpleNamespace:
    width, height, top, bottom, left = 640, 270, 34, 52, 10
    slot = (width - 2 * left) / len(k.aged)
    bar_w = slot * 0.62
    plot_h = height - top - bottom
    peak = max((b.amount for b in k.aged), default=Decimal(0))
    bars = []
    for i, bucket in enumerate(k.aged):
        h = float(bucket.amount / peak) * plot_h if peak > 0 else 0.0
        h = max(h, 2.0) if bucket.amount > 0 else 0.0
        x = left + i * slot + (slot - bar_w) / 2
        cx = left + i * slot + slot / 2
        y = top + plot_h - h
        bars.append(SimpleNamespace(x=f"{x:.1f}", y=f"{y:.1f}", w=f"{bar_w:.1f}", h=f"{h:.1f}",
                                    colour=BUCKET_COLOURS[bucket.key], label=bucket.label,
                                    amount=money(bucket.amount), cx=f"{cx:.1f}", value_y=f"{y - 8:.1f}",
                                    label_y=f"{top + plot_h + 20:.1f}", count_y=f"{top + plot_h + 38:.1f}",
                                    count=bucket.count))
    return SimpleNamespace(width=width, height=height, left=left, right=width - left, axis=top + plot_h, bars=bars,
                           label=" ; ".join(f"{b.label} {money(b.amount)}" for b in k.aged))


def _effect_rows(k: Kpis, tones: dict[str | None, str]) -> list[SimpleNamespace]:
    """The steps by segment; ``segment_label`` set on the first step of each segment."""
    rows = []
    current: str | None = "\0"
    for e in k.effectiveness:
        first = e.segment != current
        current = e.segment
        rows.append(SimpleNamespace(segment_label=e.segment_label if first else None, step=e.step, at=e.at,
                                    channel_label=e.channel_label, colour=tones[e.tone], tone_label=e.tone_label,
                                    carried_out=_count(e.carried_out), counted=_count(e.counted),
                                    paid_within=_count(e.paid_within), share=_share(e.share),
                                    recovered=_money(e.recovered)))
    return rows


def _effect_chart(k: Kpis, tones: dict[str | None, str]) -> SimpleNamespace:
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
    rows = []
    y = 30
    for e in lines:
        if isinstance(e, str):
            rows.append(SimpleNamespace(segment=e, text_y=y + 19))
            y += group_h
            continue
        bar = f"{max(plot_w * float(e.share) / 100, 2):.1f}" if e.share is not None and e.share > 0 else ""
        rows.append(SimpleNamespace(segment=None, e=e, text_y=y + 17, bar_y=y + 5, bar_w=bar,
                                    colour=tones[e.tone]))
        y += row_h
    desc = " ; ".join(f"{e.label} {percent(e.share) if e.share is not None else NOT_AVAILABLE}"
                      for e in k.effectiveness)
    return SimpleNamespace(width=width, height=height, bottom=height - 8, label_w=label_w, plot_w=plot_w,
                           bar_h=row_h - 10, value_x=label_w + plot_w + 10, desc=desc, lines=rows,
                           ticks=[SimpleNamespace(x=f"{label_w + plot_w * t / 100:.1f}", value=t)
                                  for t in (0, 25, 50, 75, 100)])


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


