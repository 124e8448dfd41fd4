"""The dashboard's figures as a CSV for French Excel: one row per figure, the same values as the HTML page.

UTF-8 with a byte-order mark (so Excel reads the accents), ``;`` between cells, decimal comma, no thousands
separator, the unit in its own column so the value stays a number. A cell that a spreadsheet would take for
a formula (customer names are user data) is neutralised with a leading apostrophe
(``relance.csvsafe``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..csvsafe import french_csv, neutralise
from ..domain.fmt import cents
from ..domain.labels import PLAN_FIGURES, PLAN_SECTION
from .kpis import Kpis

HEADER = ("section", "indicateur", "valeur", "unité")
EURO, PERCENT, DAYS, INVOICES, REMINDERS, TEXT = "€", "%", "jours", "factures", "relances", ""

SUMMARY = "Synthèse"
AGED = "Balance âgée"
STAGES = "Encours par étape"
DEBTORS = "Principaux débiteurs"
EFFECT = "Efficacité des relances"
TONES = "Efficacité par ton"
PLANS = PLAN_SECTION
PAYMENTS = "paiements"


@dataclass(frozen=True, slots=True)
class Figure:
    section: str
    name: str
    value: str  # as written in the CSV cell (and in the HTML page's <data value="…">)
    unit: str


def money_cell(amount: Decimal) -> str:
    """``Decimal('1234.5')`` → ``1234,50``: a number French Excel reads as such."""
    return f"{cents(amount):f}".replace(".", ",")


def number_cell(value: Decimal | int | None) -> str:
    """Days, percentages (already rounded) and counts; empty when the figure cannot be computed."""
    if value is None:
        return ""
    return f"{value:f}".replace(".", ",") if isinstance(value, Decimal) else str(value)


def figures(kpis: Kpis) -> tuple[Figure, ...]:
    out: list[Figure] = []

    def add(section: str, name: str, value: str, unit: str) -> None:
        out.append(Figure(section, name, value, unit))

    window = kpis.effect_window_days
    rec = kpis.recovery
    add(SUMMARY, "Encours total", money_cell(kpis.open_total), EURO)
    add(SUMMARY, "Factures ouvertes", number_cell(kpis.open_count), INVOICES)
    add(SUMMARY, "Dont en retard", money_cell(kpis.overdue_total), EURO)
    add(SUMMARY, "Factures en retard", number_cell(kpis.overdue_count), INVOICES)
    add(SUMMARY, "Part de l’encours en retard", number_cell(kpis.overdue_share), PERCENT)
    add(SUMMARY, "DSO", number_cell(kpis.dso_days), DAYS)
    add(SUMMARY, f"Montant facturé sur {kpis.dso_period_days} jours", money_cell(kpis.dso_sales), EURO)
    add(SUMMARY, "Retard moyen", number_cell(kpis.average_days_late), DAYS)
    add(SUMMARY, "Retard moyen pondéré par les montants", number_cell(kpis.weighted_days_late), DAYS)
    add(SUMMARY, f"Taux de recouvrement sur {rec.window_days} jours", number_cell(rec.rate), PERCENT)
    add(SUMMARY, f"Restes à payer tombés en retard sur {rec.window_days} jours", money_cell(rec.fell_overdue),
        EURO)
    add(SUMMARY, "dont réglés depuis", money_cell(rec.recovered), EURO)
    add(SUMMARY, f"Factures tombées en retard sur {rec.window_days} jours", number_cell(rec.count), INVOICES)
    if kpis.other_currency_count:
        add(SUMMARY, "Factures hors euros non comptées", number_cell(kpis.other_currency_count), INVOICES)
    plans = kpis.plans
    names = {key: label.format(days=plans.window_days) for key, label in PLAN_FIGURES.items()}
    add(PLANS, names["agreed"], number_cell(plans.agreed), INVOICES)
    add(PLANS, names["agreed_amount"], money_cell(plans.agreed_amount), EURO)
    add(PLANS, names["running"], number_cell(plans.running), INVOICES)
    add(PLANS, names["kept"], number_cell(plans.kept), INVOICES)
    add(PLANS, names["broken"], number_cell(plans.broken), INVOICES)
    add(PLANS, names["kept_share"], number_cell(plans.kept_share), PERCENT)
    add(PLANS, names["portal_recovered"], money_cell(plans.portal_recovered), EURO)
    add(PLANS, names["portal_payments"], number_cell(plans.portal_payments), PAYMENTS)
    for bucket in kpis.aged:
        add(AGED, f"{bucket.label} — montant", money_cell(bucket.amount), EURO)
        add(AGED, f"{bucket.label} — factures", number_cell(bucket.count), INVOICES)
        add(AGED, f"{bucket.label} — part de l’encours", number_cell(bucket.share), PERCENT)
    for stage in kpis.stages:
        add(STAGES, f"{stage.label} — montant", money_cell(stage.amount), EURO)
        add(STAGES, f"{stage.label} — factures", number_cell(stage.count), INVOICES)
        add(STAGES, f"{stage.label} — part de l’encours", number_cell(stage.share), PERCENT)
    for rank, debtor in enumerate(kpis.top_debtors, start=1):
        add(DEBTORS, f"n° {rank} — client", debtor.name, TEXT)
        add(DEBTORS, f"n° {rank} — montant en retard", money_cell(debtor.overdue_amount), EURO)
        add(DEBTORS, f"n° {rank} — factures en retard", number_cell(debtor.overdue_count), INVOICES)
        add(DEBTORS, f"n° {rank} — plus ancien retard", number_cell(debtor.oldest_days_late), DAYS)
        add(DEBTORS, f"n° {rank} — encours total", money_cell(debtor.open_amount), EURO)
    measured = [(EFFECT, e.label, e) for e in kpis.effectiveness] + [(TONES, t.tone_label, t) for t in kpis.by_tone]
    for section, label, row in measured:
        add(section, f"{label} — envoyées", number_cell(row.carried_out), REMINDERS)
        add(section, f"{label} — mesurées", number_cell(row.counted), REMINDERS)
        add(section, f"{label} — payées sous {window} jours", number_cell(row.paid_within), INVOICES)
        add(section, f"{label} — part payée sous {window} jours", number_cell(row.share), PERCENT)
        add(section, f"{label} — montant recouvré", money_cell(row.recovered), EURO)
    return tuple(out)


def render_csv(kpis: Kpis) -> bytes:
    return french_csv([HEADER, *((neutralise(f.section), neutralise(f.name), neutralise(f.value), f.unit)
                                 for f in figures(kpis))])
