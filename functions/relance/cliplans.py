"""``relance invoice plan``: the installments as a finance assistant types them, read into a plan."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from .cliargs import parse_day
from .domain.plans import Installment, PaymentPlan, PlanError, monthly_installments, plan_from_dict, plan_to_dict

# « 15/01/2027:400,50 » — a date, a colon (or =), an amount with a comma or a point; entries separated by « ; »,
# spaces or a comma that does not belong to an amount.
_ENTRY = re.compile(r"\s*(\d{1,2}[/.]\d{1,2}[/.]\d{4}|\d{4}-\d{2}-\d{2})\s*[:=]\s*"
                    r"(\d[\d \u00a0\u202f]*(?:[.,]\d{1,2})?)\s*(?:€|EUR)?\s*(?:[;,]|$|\s)")


class InstallmentsError(ValueError):
    """What is wrong with ``--installments``, in French."""


def installments_plan(text: str, *, agreed_on: date, due: Decimal, first: date | None) -> PaymentPlan:
    """``--installments``: ``3`` (three monthly installments from ``first``, equal to the cent) or the list
    ``JJ/MM/AAAA:montant;JJ/MM/AAAA:montant…``. The plan is checked as the data file's is."""
    text = text.strip()
    if text.isdigit():
        count = int(text)
        if not 1 <= count <= 60:
            raise InstallmentsError(f"« {text} » échéances : entre 1 et 60")
        if first is None:
            raise InstallmentsError("avec un nombre d’échéances, donnez la date de la première avec --first "
                                    "JJ/MM/AAAA (les suivantes tombent le même jour des mois suivants)")
        installments = monthly_installments(due, count, first)
    else:
        installments = _listed(text)
    try:
        return plan_from_dict({"agreed_on": agreed_on.isoformat(), **_installments_dict(installments)})
    except PlanError as err:
        raise InstallmentsError(_french_place(err)) from None


def _listed(text: str) -> tuple[Installment, ...]:
    out: list[Installment] = []
    position = 0
    for match in _ENTRY.finditer(text):
        if match.start() != position:
            break
        position = match.end()
        try:
            day = parse_day(match.group(1))
        except ValueError as err:
            raise InstallmentsError(str(err)) from None
        raw = re.sub(r"[ \u00a0\u202f]", "", match.group(2)).replace(",", ".")
        try:
            out.append(Installment(day, Decimal(raw)))
        except InvalidOperation:
            raise InstallmentsError(f"« {match.group(2)} » n’est pas un montant") from None
    if not out or position != len(text):
        rest = text[position:position + 30]
        raise InstallmentsError(f"illisible à partir de « {rest} » : écrivez par exemple "
                                "« 15/01/2027:400;15/02/2027:400;15/03/2027:400 » (date:montant, séparés par « ; »), "
                                "ou un nombre d’échéances mensuelles avec --first JJ/MM/AAAA")
    return tuple(out)


def _installments_dict(installments: tuple[Installment, ...]) -> dict[str, object]:
    return {"installments": plan_to_dict(PaymentPlan(date.min, installments))["installments"]}


def _french_place(err: PlanError) -> str:
    match = re.match(r"installments\[(\d+)\]", err.field)
    where = f"échéance {int(match.group(1)) + 1}" if match else "échéancier"
    return f"{where} : {err.problem}"
