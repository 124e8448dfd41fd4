"""Payment plans (SPEC §2.9) on AWS: the plan kept on the invoice, the evaluator planning with it, the channels
sending the echeance e-mail and the decheance registered letter, plan_broken recorded and never queued — through
the real handlers on moto, with the sample rules (payment_plans: reminder 3 days before, grace 3 days, broken 8
days after the notice's receipt, on_broken formal_notice).

F1, 1 200.00 € due Fri 2 Oct 2026, relance_1 sent Wed 7 Oct. Plan agreed Fri 9 Oct: 600.00 on Mon 2 Nov and
600.00 on Wed 2 Dec. installment_1: 2 Nov − 3 = Fri 30 Oct. Unpaid: plan_default_1 on 2 + 3 = Thu 5 Nov; receipt
5 + 3 = Sun 8 Nov, + 8 = Mon 16 Nov (last day); plan_broken on Tue 17 Nov.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from moto.ses.models import ses_backends

from relance.app.plans import agree_plan
from relance.domain.plans import Installment, PaymentPlan
from relance.local.runner import scheduled_event

from .conftest import book, business, invoice, queued

PLAN = PaymentPlan(date(2026, 10, 9), (Installment(date(2026, 11, 2), Decimal("600.00")),
                                       Installment(date(2026, 12, 2), Decimal("600.00"))))


@pytest.fixture(autouse=True)
def _clear_ses(stack):
    ses_backends["123456789012"][stack.region].sent_messages.clear()


@pytest.fixture
def planned(store):
    store.seed(book([business("C1", address={"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"})],
                    [invoice("F1", due="2026-10-02",
                             history=[{"step": "relance_1", "date": "2026-10-07", "channel": "email"}])]))
    agree_plan(store, "F1", PLAN, "staff", datetime(2026, 10, 9, 10, 0), who="julie")
    return store


def run_day(functions, day: date) -> None:
    functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")


def resend(stack, queue: str, messages: list[dict]) -> None:
    for m in messages:
        stack.client("sqs").send_message(QueueUrl=stack.physical[queue], MessageBody=json.dumps(m))


def test_the_plan_pauses_then_its_installment_reminder_goes_as_the_echeance_email(stack, functions, planned):
    run_day(functions, date(2026, 10, 29))
    assert queued(stack, "EmailQueue") == [] and queued(stack, "PhoneQueue") == []
    run_day(functions, date(2026, 10, 30))
    emails = queued(stack, "EmailQueue")
    assert [[(a["invoice"], a["step"]) for a in m["actions"]] for m in emails] == [[("F1", "installment_1")]]
    resend(stack, "EmailQueue", emails)
    assert functions.drain("EmailQueue", "EmailFunction", RELANCE_TODAY="2026-10-30") == {"delivered": 1,
                                                                                          "failed": 0}
    backend = ses_backends["123456789012"][stack.region]
    (raw,) = [m.raw_data for m in backend.sent_messages]
    mail = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "Échéancier – échéance n° 1 du 02/11/2026 – facture F1"
    assert "9 octobre 2026" in text and "Échéance n° 1 sur 2" in text and "600,00" in text


def test_unpaid_the_default_notice_goes_by_registered_letter_then_the_plan_breaks_and_is_never_queued(
        stack, functions, planned):
    run_day(functions, date(2026, 10, 30))
    queued(stack, "EmailQueue")
    run_day(functions, date(2026, 11, 5))
    letters = queued(stack, "RegisteredLetterQueue")
    assert [[(a["invoice"], a["step"]) for a in m["actions"]] for m in letters] == [[("F1", "plan_default_1")]]
    resend(stack, "RegisteredLetterQueue", letters)
    functions.drain("RegisteredLetterQueue", "LetterFunction", RELANCE_TODAY="2026-11-05")
    sent = [e for e in planned.history("F1") if e["kind"] == "sent"]
    assert [(e["step"], e["channel"]) for e in sent] == [("plan_default_1", "registered_letter")]
    run_day(functions, date(2026, 11, 16))
    assert planned.invoice("F1")[0].history[-1].step == "plan_default_1"
    run_day(functions, date(2026, 11, 17))
    stored, _ = planned.invoice("F1")
    assert stored.history[-1].step == "plan_broken"
    for queue in ("EmailQueue", "LetterQueue", "RegisteredLetterQueue", "PhoneQueue"):
        assert queued(stack, queue) == []
    # on_broken: formal_notice — the scenario's next registered letter, min_gap_days (3) after the break: Fri 20.
    # The sample rules ask a person's approval of the mise en demeure: it is asked, not queued, that day.
    run_day(functions, date(2026, 11, 20))
    assert queued(stack, "RegisteredLetterQueue") == []
    asked = [e for e in planned.history("F1") if e["kind"] == "approval_requested"]
    assert [(e["date"], e.get("step")) for e in asked] == [("2026-11-20", "mise_en_demeure")]


def test_a_payment_of_the_installment_stops_its_default_notice(stack, functions, planned):
    planned.apply_payment(provider="generic", event_id="evt-1", invoice_id="F1", amount=Decimal("600.00"),
                          currency="EUR", on=date(2026, 10, 31))
    run_day(functions, date(2026, 11, 5))
    assert queued(stack, "RegisteredLetterQueue") == [] and queued(stack, "EmailQueue") == []


# -- relance invoice plan ------------------------------------------------------------------------------------

@pytest.fixture
def cli_store(stack, store, monkeypatch):
    store.seed(book([business()], [invoice("F7", due="2026-10-02", amount="1000.00")]))
    for key, value in stack.function_environment("EvaluatorFunction").items():
        monkeypatch.setenv(key, value)
    return store


def test_staff_record_a_plan_as_typed_dates_and_amounts_the_french_way(cli_store, capsys):
    from relance.cli import main

    assert main(["invoice", "plan", "F7", "--installments", "15/12/2026:400,50 ; 15/01/2027:599,50",
                 "--on", "20/11/2026", "--by", "julie", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["plan"] == {"agreed_on": "2026-11-20", "installments": [
        {"due_date": "2026-12-15", "amount": "400.50"}, {"due_date": "2027-01-15", "amount": "599.50"}]}
    stored, _ = cli_store.invoice("F7")
    assert stored.payment_plan is not None and len(stored.payment_plan.installments) == 2
    (event,) = [e for e in cli_store.history("F7") if e["kind"] == "plan_agreed"]
    assert (event["by"], event["who"]) == ("staff", "julie")


def test_a_plan_staff_agree_is_written_kept_in_the_documents_bucket_and_e_mailed_to_the_debtor(
        stack, cli_store, monkeypatch, capsys):
    from relance.cli import main

    monkeypatch.setenv("DOCUMENTS_BUCKET", stack.function_environment("LetterFunction")["DOCUMENTS_BUCKET"])
    assert main(["invoice", "plan", "F7", "--installments", "15/12/2026:400,50 ; 15/01/2027:599,50",
                 "--on", "20/11/2026", "--by", "Julie Martin"]) == 0
    bucket = stack.function_environment("LetterFunction")["DOCUMENTS_BUCKET"]
    keys = [o["Key"] for o in stack.client("s3").list_objects_v2(Bucket=bucket, Prefix="plans/").get("Contents", [])]
    assert len(keys) == 1 and keys[0].endswith(".pdf")
    kinds = [e["kind"] for e in cli_store.history("F7")]
    assert kinds.count("plan_agreed") == 1 and kinds.count("plan_agreement_sent") == 1
    sent = ses_backends["123456789012"][stack.region].sent_messages
    assert len(sent) == 1


def test_staff_record_three_monthly_installments_from_a_first_date(cli_store, capsys):
    from relance.cli import main

    assert main(["invoice", "plan", "F7", "--installments", "3", "--first", "31/12/2026", "--on", "20/11/2026"]) == 0
    assert "échéancier enregistré (3 échéances" in capsys.readouterr().out
    plan = cli_store.invoice("F7")[0].payment_plan
    assert [(i.due_date, str(i.amount)) for i in plan.installments] == [
        (date(2026, 12, 31), "333.33"), (date(2027, 1, 31), "333.33"), (date(2027, 2, 28), "333.34")]


def test_a_plan_that_does_not_make_the_balance_is_refused_in_french_and_nothing_is_recorded(cli_store, capsys):
    from relance.cli import main

    assert main(["invoice", "plan", "F7", "--installments", "15/12/2026:400", "--on", "20/11/2026"]) == 1
    err = capsys.readouterr().err
    assert "les échéances totalisent 400,00\u202f€ alors que 1\u202f000,00\u202f€ restait dû" in err
    assert "rien n’a été enregistré" in err
    assert cli_store.invoice("F7")[0].payment_plan is None
    with pytest.raises(SystemExit) as caught:
        main(["invoice", "plan", "F7", "--installments", "le 15 décembre", "--on", "20/11/2026"])
    assert caught.value.code == 2
    assert "écrivez par exemple" in capsys.readouterr().err
