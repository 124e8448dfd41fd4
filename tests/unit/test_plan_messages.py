"""The messages of a payment plan (SPEC §2.9) with the sample rules: the echeance reminder and the decheance
registered letter state the facts of the plan from the data — and plan/simulate show its steps."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from relance.cli import main
from relance.domain.model import Customer, Invoice, Payment
from relance.domain.plans import plan_from_dict
from relance.domain.render import render_message
from relance.rules.loader import load_rules_or_raise

SHIPPED = Path(__file__).resolve().parents[2] / "rules"
PLAN = plan_from_dict({"agreed_on": "2026-03-12", "installments": [
    {"due_date": "2026-04-01", "amount": "400.00"}, {"due_date": "2026-05-04", "amount": "400.00"},
    {"due_date": "2026-06-01", "amount": "400.00"}]})
CUSTOMER = Customer("C1", "Menuiserie Martin", "business", email="c1@client.example")
INVOICE = Invoice("F1", "C1", date(2026, 1, 31), date(2026, 3, 2), Decimal("1200.00"), Decimal("800.00"),
                  payments=(Payment(date(2026, 3, 31), Decimal("400.00")),), payment_plan=PLAN)


def render(step: str, channel: str, tone: str, template: str, today: date, language: str = "fr"):
    rules = load_rules_or_raise(SHIPPED)
    customer = Customer(**{**{f: getattr(CUSTOMER, f) for f in ("id", "name", "kind", "email")},
                           "language": language})
    return render_message(rules, customer=customer, invoices=[INVOICE], channel=channel, tone=tone, step_id=step,
                          at="J+0", template=template, today=today)


def test_the_installment_reminder_names_the_installment_its_date_and_amount_and_the_plan():
    mail = render("installment_2", "email", "courtois", "echeance", date(2026, 5, 4))
    assert mail.subject == "Échéancier – échéance n° 2 du 04/05/2026 – facture F1"
    body = mail.body.replace("\u202f", " ").replace("\u00a0", " ")
    assert "l’échéancier convenu le 12 mars 2026 pour la facture n° F1" in body
    assert "Échéance n° 2 sur 3, à régler le 4 mai 2026 : 400,00 €" in body
    assert "Échéance n° 1 du 01/04/2026 : 400,00 € (réglée)" in body
    assert "Reste dû sur la facture : 800,00 €" in body


def test_the_default_notice_states_the_unpaid_installment_the_deadline_and_the_whole_balance_falling_due():
    letter = render("plan_default_2", "registered_letter", "formel", "decheance", date(2026, 5, 7))
    body = letter.body.replace("\u202f", " ").replace("\u00a0", " ")
    assert "déchéance du terme" in letter.subject
    assert "L’échéance n° 2, d’un montant de 400,00 €, arrivée à échéance le 4 mai 2026, demeure impayée" in body
    assert "dans un délai de 8 jours à compter de la réception du présent courrier" in body
    assert "la totalité du solde restant dû, soit 800,00 € en principal, deviendra immédiatement exigible" in body


def test_the_english_default_notice_says_the_same_facts():
    letter = render("plan_default_2", "registered_letter", "formel", "decheance", date(2026, 5, 7), "en")
    assert "Instalment 2, for €400.00, which fell due on 4 May 2026, remains unpaid" in letter.body
    assert "within 8 days of receiving this letter" in letter.body and "€800.00 in principal" in letter.body


def test_plan_json_lists_the_plan_s_steps_and_its_pause(tmp_path, capsys):
    data = {"customers": [{"id": "C1", "name": "Menuiserie Martin", "kind": "business"}],
            "invoices": [{"id": "F1", "customer_id": "C1", "issue_date": "2026-01-31", "due_date": "2026-03-02",
                          "amount": "1200.00", "payment_plan": {"agreed_on": "2026-03-12", "installments": [
                              {"due_date": "2026-04-01", "amount": "1200.00"}]}}]}
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    args = ["--rules", str(SHIPPED), "--data", str(path), "--format", "json"]
    assert main(["plan", *args, "--on", "2026-03-20"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == [{"invoice": "F1", "reason": "paused: payment plan"}]
    assert main(["simulate", *args, "--from", "2026-03-20", "--to", "2026-04-30"]) == 0
    steps = [(a["date"], a["step"], a["channel"]) for a in json.loads(capsys.readouterr().out)["actions"]]
    # 1 Apr − 3 = Sun 29 Mar → Mon 30 Mar; + 3 = Sat 4 Apr → Mon 6 Apr (Easter Monday) → Tue 7 Apr. Receipt
    # 7 + 3 = Fri 10 Apr, + 8 = Sat 18 → Mon 20 Apr last day; broken Tue 21 Apr; formal_notice 3 days on: Fri 24.
    assert steps[:3] == [("2026-03-30", "installment_1", "email"),
                         ("2026-04-07", "plan_default_1", "registered_letter"),
                         ("2026-04-21", "plan_broken", "plan")]
    assert main(["simulate", *args[:-2], "--from", "2026-03-20", "--to", "2026-04-30"]) == 0
    table = capsys.readouterr().out
    assert "plan_broken" in table and "échéancier" in table  # its channel said in French: nothing is sent
