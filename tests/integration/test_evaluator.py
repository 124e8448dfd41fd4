"""The evaluator function on the local stack: fan-out, recording, queuing, reruns, crashes, bad rules."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from relance.app.evaluate import evaluate_shard
from relance.domain.sharding import shard_of
from relance.local.runner import scheduled_event
from relance.rules.loader import RulesError, load_rules_or_raise

from .conftest import SHARDS, book, business, invoice, queued, rules_path

RUN = date(2026, 11, 2)  # a Monday


def run_day(functions, day: date = RUN) -> dict:
    started = functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
    drained = functions.drain("EvaluationQueue", "EvaluatorFunction")
    return {"started": started, "drained": drained}


def seed_two_customers(store):
    # C1 (key account, not due yet at J+7 on 2 Nov? due 15 Oct → J+18: relance_1 catch-up) and C2 standard.
    store.seed(book([business("C1", tags=["grand_compte"]), business("C2")],
                    [invoice("F1", "C1"), invoice("F2", "C1"), invoice("F3", "C2", due="2026-10-10"),
                     invoice("F4", "C2", status="paid", paid_on="2026-10-20")]))


def test_schedule_fans_out_one_job_per_shard(functions, stack):
    result = functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()))
    assert result == {"run_date": "2026-11-02", "shards": SHARDS, "litigation_released": 0}
    jobs = queued(stack, "EvaluationQueue")
    assert sorted(j["shard"] for j in jobs) == list(range(SHARDS)) and {j["run_date"] for j in jobs} == {"2026-11-02"}


def test_a_day_queues_one_message_per_customer_channel_and_tone(functions, stack, store):
    seed_two_customers(store)
    outcome = run_day(functions)
    assert outcome["drained"] == {"delivered": SHARDS, "failed": 0}
    emails = queued(stack, "EmailQueue")
    by_customer = {m["customer"]: m for m in emails}
    assert sorted(a["invoice"] for a in by_customer["C1"]["actions"]) == ["F1", "F2"]
    assert [a["invoice"] for a in by_customer["C2"]["actions"]] == ["F3"]
    assert all(m["run_date"] == "2026-11-02" and m["key"] for m in emails)
    assert [e["kind"] for e in store.history("F1")] == ["action_planned"]
    assert store.history("F4") == []


def test_rerunning_a_day_plans_nothing_new(functions, stack, store):
    seed_two_customers(store)
    run_day(functions)
    queued(stack, "EmailQueue")
    run_day(functions)
    assert queued(stack, "EmailQueue") == [] and queued(stack, "PhoneQueue") == []
    assert len(store.history("F1")) == 1


def test_the_next_days_continue_the_scenario(functions, stack, store):
    seed_two_customers(store)
    steps = []
    for day in (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 9), date(2026, 11, 16)):
        run_day(functions, day)
        for queue in ("EmailQueue", "PhoneQueue"):
            steps += [(day.isoformat(), a["invoice"], a["step"]) for m in queued(stack, queue) for a in m["actions"]]
    f3 = [(d, s) for d, i, s in steps if i == "F3"]
    # F3 (standard, due Sat 10 Oct): relance_1 on 2 Nov (catch-up), relance_2 (phone) 3 days later at the earliest.
    assert f3[0] == ("2026-11-02", "relance_1") and f3[1][1] == "relance_2" and f3[1][0] >= "2026-11-05"


def test_a_crash_between_recording_and_queuing_loses_nothing(store, stack, functions):
    seed_two_customers(store)
    rules = load_rules_or_raise(rules_path())

    class Crash(RuntimeError):
        pass

    class DownQueue:
        def send(self, channel, bodies):
            raise Crash("the function died before SendMessageBatch")

    with pytest.raises(Crash):
        evaluate_shard(rules=rules, store=store, queue=DownQueue(), run_date=RUN, shard=shard_of("C1", SHARDS),
                       record_workers=1)
    assert queued(stack, "EmailQueue") == []
    # The next run of the shard (a redelivery, or tomorrow) queues what was recorded, once.
    run_day(functions, date(2026, 11, 3))
    emails = queued(stack, "EmailQueue")
    c1 = [m for m in emails if m["customer"] == "C1"]
    assert len(c1) == 1 and c1[0]["run_date"] == "2026-11-02"
    assert sorted(a["invoice"] for a in c1[0]["actions"]) == ["F1", "F2"]
    run_day(functions, date(2026, 11, 3))
    assert [m for m in queued(stack, "EmailQueue") if m["customer"] == "C1"] == []


def test_invalid_rules_fail_the_run_and_send_nothing(functions, stack, store, tmp_path, capfd, caplog):
    seed_two_customers(store)
    broken = tmp_path / "rules"
    shutil.copytree(rules_path(), broken)
    (broken / "segments.yaml").write_text((broken / "segments.yaml").read_text(encoding="utf-8")
                                          .replace("scenario: standard", "scenario: standart"), encoding="utf-8")
    functions.rules_dir = broken
    with pytest.raises(RulesError):
        functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()), POWERTOOLS_METRICS_DISABLED="false",
                         POWERTOOLS_LOG_LEVEL="INFO")
    assert '"RulesInvalid":[1.0]' in capfd.readouterr().out
    (logged,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "scénario inconnu « standart »" in logged.diagnostics[0]
    assert queued(stack, "EvaluationQueue") == [] and queued(stack, "EmailQueue") == []


def test_missing_setting_is_named(functions, stack):
    from relance.settings import SettingsError

    with pytest.raises(SettingsError, match="missing setting EMAIL_QUEUE_URL"):
        functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()), EMAIL_QUEUE_URL="")


def test_job_body_is_plain_json(functions, stack):
    functions.invoke("EvaluatorFunction", scheduled_event(RUN.isoformat()))
    job = queued(stack, "EvaluationQueue")[0]
    assert json.loads(json.dumps(job)) == job and set(job) == {"run_date", "shard"}


# -- One poisoned invoice never stops its shard (SPEC §3) -------------------------------------------------

def _poison(store, stack, invoice_id: str, **attributes) -> None:
    """Write an invoice item of C1 straight into the table, as an old import or a hand edit could have."""
    from relance.adapters.dynamo import invoice_item

    good = book([business("C1")], [invoice(invoice_id, "C1")]).invoices[0]
    item = invoice_item(good, SHARDS)
    for name, value in attributes.items():
        if value is None:
            item.pop(name)
        else:
            item[name] = {"S": value}
    stack.client("dynamodb").put_item(TableName=stack.physical["DataTable"], Item=item)


def test_poisoned_invoices_are_set_aside_and_the_rest_of_their_shard_is_reminded(functions, stack, store,
                                                                                monkeypatch):
    from relance.handlers import evaluator

    emitted: list[tuple[str, float]] = []
    add_metric = evaluator.metrics.add_metric
    monkeypatch.setattr(evaluator.metrics, "add_metric",
                        lambda **kw: (emitted.append((kw["name"], kw["value"])), add_metric(**kw)))
    # Given C1's good invoices F1 and F2, C2's F3, and in C1's shard three invoice items no planner can use
    seed_two_customers(store)
    _poison(store, stack, "F-NO-DUE", due_date="9999-12-31", open_due="9999-12-31#F-NO-DUE")
    _poison(store, stack, "F-BAD-AMOUNT", amount="beaucoup", amount_due="beaucoup")
    _poison(store, stack, "F-HUGE", amount="1e999999999", amount_due="1e999999999")
    _poison(store, stack, "F-NO-ISSUE", issue_date=None)
    # When the day runs
    outcome = run_day(functions)
    # Then no shard job fails and the good invoices get their reminders
    assert outcome["drained"] == {"delivered": SHARDS, "failed": 0}
    by_customer = {m["customer"]: m for m in queued(stack, "EmailQueue")}
    assert sorted(a["invoice"] for a in by_customer["C1"]["actions"]) == ["F1", "F2"]
    assert [a["invoice"] for a in by_customer["C2"]["actions"]] == ["F3"]
    # and each poisoned invoice is recorded as set aside, with its reason, on its history
    for invoice_id, field in (("F-NO-DUE", "due_date"), ("F-BAD-AMOUNT", "amount"), ("F-HUGE", "amount"),
                              ("F-NO-ISSUE", "issue_date")):
        (event,) = store.history(invoice_id)
        assert (event["kind"], event["reason"], event["date"]) == ("invalid_data", f"invalid data: {field}",
                                                                  "2026-11-02")
        assert event["problem"]
    assert ("InvoicesInError", 4) in emitted


def test_a_poisoned_invoice_is_recorded_once_not_every_day(functions, stack, store):
    seed_two_customers(store)
    _poison(store, stack, "F-NO-DUE", due_date="9999-12-31")
    for day in (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)):
        assert run_day(functions, day)["drained"]["failed"] == 0
    assert [e["kind"] for e in store.history("F-NO-DUE")] == ["invalid_data"]


def test_a_shard_report_counts_the_invoices_set_aside(store, stack):
    seed_two_customers(store)
    _poison(store, stack, "F-NO-DUE", due_date="9999-12-31")
    from relance.adapters.sqs import SqsQueues
    from relance.settings import CHANNEL_QUEUE_VARIABLES

    queues = SqsQueues(stack.client("sqs"), {c: stack.physical[{"email": "EmailQueue", "letter": "LetterQueue",
                                                                "registered_letter": "RegisteredLetterQueue",
                                                                "phone": "PhoneQueue",
                                                                "litigation": "LitigationQueue"}[c]]
                                             for c in CHANNEL_QUEUE_VARIABLES})
    report = evaluate_shard(rules=load_rules_or_raise(rules_path()), store=store, queue=queues, run_date=RUN,
                            shard=shard_of("C1", SHARDS), record_workers=1)
    assert report.recorded == 2 and report.in_error == 1
    assert report.as_dict()["set_aside"] == [{"invoice": "F-NO-DUE", "reason": "invalid data: due_date"}]


def test_an_unreadable_customer_sets_its_invoices_aside_and_the_others_are_reminded(functions, stack, store):
    seed_two_customers(store)
    stack.client("dynamodb").update_item(TableName=stack.physical["DataTable"],
                                         Key={"pk": {"S": "CUST#C2"}, "sk": {"S": "PROFILE"}},
                                         UpdateExpression="REMOVE kind")
    outcome = run_day(functions)
    assert outcome["drained"] == {"delivered": SHARDS, "failed": 0}
    emails = queued(stack, "EmailQueue")
    assert [sorted(a["invoice"] for a in m["actions"]) for m in emails] == [["F1", "F2"]]
    (event,) = store.history("F3")
    assert (event["kind"], event["reason"]) == ("invalid_data", "invalid data: customer.kind")
