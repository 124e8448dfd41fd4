"""A payment plan in the dossier's chronology (SPEC §2.9): agreed, each installment paid or missed, the default
notice, the déchéance du terme — facts from the history only, read back from the PDF."""

from __future__ import annotations

import json

from relance.litigation.documents import render_chronologie

from .test_dossier_pdf import CHRONOLOGY, business, text_of

PLAN = {"agreed_on": "2025-05-12", "installments": [
    {"due_date": "2025-06-12", "amount": "4000.00"}, {"due_date": "2025-07-12", "amount": "4000.00"},
    {"due_date": "2025-08-12", "amount": "4000.00"}]}
# As app.plans.agree_plan records it: the plan as JSON, who agreed it (the portal link's id).
AGREED = {"date": "2025-05-12", "kind": "plan_agreed", "invoice": "F-2025-0042", "plan": json.dumps(PLAN),
          "by": "portal_self_service", "who": "kT3v9QbX2mLp", "installments": "3", "amount": "12000.00"}
# Installment 1 paid on time, installment 2 missed: reminded, then the default notice, then broken.
ADHERENCE = (
    {"date": "2025-06-09", "kind": "sent", "channel": "email", "step": "installment_1", "invoice": "F-2025-0042"},
    {"date": "2025-06-11", "kind": "payment", "amount": "4000.00", "invoice": "F-2025-0042", "provider": "generic"},
    {"date": "2025-07-09", "kind": "sent", "channel": "email", "step": "installment_2", "invoice": "F-2025-0042"},
    {"date": "2025-07-15", "kind": "sent", "channel": "registered_letter", "step": "plan_default_2",
     "invoice": "F-2025-0042", "tracking_number": "1A98765432109"},
    {"date": "2025-07-28", "kind": "sent", "channel": "plan", "step": "plan_broken", "invoice": "F-2025-0042"},
)


def chronologie(*events, agreed=AGREED) -> str:
    return text_of(render_chronologie(business(chronology=(*CHRONOLOGY, agreed, *events))))


def test_the_agreement_is_told_with_its_terms_and_how_it_was_agreed():
    text = chronologie(*ADHERENCE)
    assert ("12/05/2025 Échéancier choisi par le débiteur sur son espace client et accepté en ligne "
            "(lien n° kT3v9QbX2mLp) : 12 000,00 € en 3 échéances, du 12/06/2025 au 12/08/2025") in text


def test_each_installment_is_told_paid_or_missed_from_the_payments():
    text = chronologie(*ADHERENCE)
    assert "11/06/2025 Échéance n° 1 de l’échéancier réglée (4 000,00 €)" in text
    assert "13/07/2025 Échéance n° 2 du 12/07/2025 de l’échéancier non réglée à sa date (4 000,00 €)" in text
    assert "Échéance n° 1 du" not in text  # paid on time: never missed
    assert "Échéance n° 2 de l’échéancier réglée" not in text


def test_the_reminders_default_notice_and_broken_plan_are_in_order():
    text = chronologie(*ADHERENCE)
    rows = ["09/06/2025 Rappel de l’échéance n° 1 de l’échéancier envoyé par e-mail",
            "11/06/2025 Échéance n° 1 de l’échéancier réglée",
            "09/07/2025 Rappel de l’échéance n° 2 de l’échéancier envoyé par e-mail",
            "13/07/2025 Échéance n° 2 du 12/07/2025",
            "15/07/2025 Mise en demeure de régler l’échéance n° 2 de l’échéancier, sous peine de déchéance du "
            "terme, envoyée en recommandé AR",
            "28/07/2025 Déchéance du terme : échéancier rompu, le solde restant dû devient exigible"]
    positions = [text.index(row) for row in rows]
    assert positions == sorted(positions)
    assert "N° de suivi : 1A98765432109" in text


def test_a_planned_installment_reminder_that_was_not_sent_is_never_told_as_sent():
    text = chronologie({"date": "2025-06-09", "kind": "action_planned", "channel": "email",
                        "step": "installment_1", "invoice": "F-2025-0042"})
    assert "Rappel de l’échéance" not in text
    assert "installment_1" not in text


def test_an_installment_not_yet_due_on_the_dossier_date_is_neither_paid_nor_missed():
    late_plan = {"agreed_on": "2025-09-01", "installments": [
        {"due_date": "2025-09-20", "amount": "6000.00"}, {"due_date": "2025-10-20", "amount": "6000.00"}]}
    text = chronologie({"date": "2025-09-18", "kind": "payment", "amount": "6000.00", "invoice": "F-2025-0042"},
                       agreed={**AGREED, "date": "2025-09-01", "plan": late_plan, "by": "staff", "who": "Claire"})
    assert "Échéancier convenu avec le débiteur : 12 000,00 € en 2 échéances" in text
    assert "Échéance n° 1 de l’échéancier réglée" in text
    assert "Échéance n° 2" not in text  # due 20/10/2025, after the dossier's 1 October 2025
    assert "lien n°" not in text


def test_the_agreement_kept_but_not_sent_is_relances_bookkeeping_not_a_fact():
    text = chronologie({"date": "2025-05-12", "kind": "plan_agreement_kept", "invoice": "F-2025-0042",
                        "reason": "no e-mail address"})
    assert "conservé" not in text and "no e-mail" not in text


def test_the_default_notice_of_an_installment_is_not_taken_for_the_formal_notice_of_the_debt():
    from relance.litigation.history import events_of, formal_notice

    notice = formal_notice(events_of((*CHRONOLOGY, AGREED, *ADHERENCE)))
    assert notice is not None and notice.tracking == "1A12345678901"  # the mise en demeure of 2 May 2025


def test_a_plan_the_debtor_chose_on_the_portal_is_shown_as_coming_from_the_portal():
    text = chronologie({**AGREED, "channel": "people"})
    assert "(lien n° kT3v9QbX2mLp) : 12 000,00 € en 3 échéances, du 12/06/2025 au 12/08/2025 Espace client" in text
