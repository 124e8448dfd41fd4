"""Fault injection on the local stack: after each fault, every due action executed exactly once, none after
payment, none lost, the history complete and ordered (one checker: ``conftest.check_invariants``)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import date
from email import message_from_bytes
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from relance.adapters.postal import LocalLetterProvider
from relance.adapters.sqs import SqsQueues
from relance.app.evaluate import evaluate_shard
from relance.app.runtime import Runtime
from relance.local.demo import CHANNEL_QUEUES, DEMO_SECRETS, http_post_event, pay_with_stripe, put_demo_secrets
from relance.local.runner import LocalFunctions, scheduled_event
from relance.ports import TransientProviderError
from relance.settings import Settings

from ..conftest import SAMPLE_RULES
from ..support.fake_postal import FakeMerciFacteur
from .conftest import Every, Harness, aws_error, botocore_hook, full_only, shards

pytestmark = pytest.mark.faults


def in_flight(h: Harness) -> list[dict[str, Any]]:
    """The channel messages queued and not yet delivered, left on their queues."""
    sqs = h.stack.client("sqs")
    bodies = []
    for logical in CHANNEL_QUEUES.values():
        url = h.stack.physical[logical]
        handles = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
                "Messages", []):
            bodies += [json.loads(m["Body"]) for m in batch]
            handles += [m["ReceiptHandle"] for m in batch]
        for handle in handles:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return sorted(bodies, key=lambda b: b["key"])


def events_of(h: Harness, invoice_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in h.store.history(invoice_id) if e["kind"] == kind]


# -- 1. SES failing a share of calls ------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "status", "every"), [
    pytest.param("InternalFailure", 500, 3, id="5xx"),  # every third SendEmail
    pytest.param("TooManyRequestsException", 429, 2, id="throttling", marks=full_only),  # SESv2's, every other
])
def test_ses_failing_a_share_of_calls_is_retried_until_every_message_is_delivered(harness, code, status, every):
    fail = harness.fault(Every(every))

    def send_email(**_: Any):
        return aws_error(status, code) if fail() else None

    with botocore_hook("before-call.sesv2.SendEmail", send_email):
        harness.run()
    figures = harness.check()

    assert fail.fired > 0
    assert [f for f in harness.functions.schedule_failures if f[0] == "EvaluatorFunction"] == []
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0 and figures.late == 0


def test_an_ses_outage_for_a_day_parks_its_mail_in_the_dead_letter_queue_until_a_redrive(harness):
    """SES down for the whole first day: each e-mail is tried five times, then kept in EmailDLQ (alarmed). The
    operator redrives it on the first business day after the window; the re-check before sending still
    applies, so what the redrive delivers must be what is still due."""
    outage = harness.days[0]
    today: dict[str, date] = {}

    def send_email(**_: Any):
        if today["day"] == outage:
            harness.faults_fired += 1
            return aws_error(503, "ServiceUnavailable")
        return None

    with botocore_hook("before-call.sesv2.SendEmail", send_email):
        harness.run(before=lambda day: today.update(day=day))
    figures = harness.check(recover=True)

    assert figures.dead_letters > 0, "the outage day had e-mails to send"
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0 and figures.late > 0


@pytest.mark.parametrize("sent", [True, pytest.param(False, marks=full_only)], ids=["answer_lost", "request_lost"])
def test_ses_timing_out_sends_each_email_once(harness, monkeypatch, sent):
    """Every third SendEmail times out. ``answer_lost``: SES accepted the e-mail and only its answer was lost;
    as SES does, its « Send » event reaches the SES events function, and the retry must find it rather than
    send again. ``request_lost``: SES never got it, no event comes, and the retry sends it after the wait
    (shortened to nothing here)."""
    fail = harness.fault(Every(3))
    tags: dict[str, list[dict[str, str]]] = {}
    notices: list[dict[str, Any]] = []
    if not sent:
        harness.functions.env["SES_CONFIRMATION_WAIT_S"] = "0"

    def before_call(params: dict[str, Any], **_: Any) -> None:
        tags["last"] = params.get("EmailTags", [])

    def after_call(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if http_response.status_code != 200 or not fail():
            return
        if sent:
            notices.append({"eventType": "Send", "send": {}, "mail": {
                "messageId": parsed["MessageId"], "tags": {t["Name"]: [t["Value"]] for t in tags["last"]}}})
        else:  # a message SES never received: forget it, as if the request had been lost on the way
            from moto.ses.models import ses_backends

            ses_backends["123456789012"][harness.stack.region].sent_messages.pop()
        raise ReadTimeoutError(endpoint_url="https://email.eu-west-3.amazonaws.com")

    invoke = LocalFunctions.invoke

    def invoke_after_ses_events(self: LocalFunctions, logical: str, event: dict[str, Any], **env: str) -> Any:
        # SES publishes its events within seconds: before SQS, Lambda or the Scheduler retries anything.
        while notices:
            notice = notices.pop(0)
            record = {"EventSource": "aws:sns", "Sns": {"Message": json.dumps(notice), "MessageId": "n",
                                                        "Type": "Notification", "TopicArn": "arn:ses-events"}}
            assert invoke(self, "SesEventsFunction", {"Records": [record]}) == {"outcomes": ["confirmed"]}
        return invoke(self, logical, event, **env)

    monkeypatch.setattr(LocalFunctions, "invoke", invoke_after_ses_events)
    with botocore_hook("before-parameter-build.sesv2.SendEmail", before_call), \
            botocore_hook("after-call.sesv2.SendEmail", after_call):
        harness.run()
    figures = harness.check()

    assert fail.fired > 0
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0 and figures.late == 0
    confirmed = [e for i in harness.book.invoices for e in events_of(harness, i.id, "sent")
                 if e.get("recorded_after") == "ses_confirmed"]
    assert bool(confirmed) is sent


# -- 2. the letter provider failing -----------------------------------------------------------------------------
@full_only
def test_the_local_letter_provider_failing_every_other_call_is_retried(harness, monkeypatch):
    fail = harness.fault(Every(2))
    post = LocalLetterProvider.send

    def send(self, **kwargs: Any):
        if fail():
            raise TransientProviderError("le prestataire postal ne répond pas (HTTP 503)")
        return post(self, **kwargs)

    monkeypatch.setattr(LocalLetterProvider, "send", send)
    harness.run()
    figures = harness.check()

    assert fail.fired > 0
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0


@full_only
def test_the_letter_storage_failing_is_retried(harness):
    fail = harness.fault(Every(2))

    def put_object(params: dict[str, Any], **_: Any):
        if "/postal-local/" in params.get("url_path", "") and fail():
            return aws_error(503, "SlowDown", "Please reduce your request rate.")
        return None

    with botocore_hook("before-call.s3.PutObject", put_object):
        harness.run()
    figures = harness.check()

    assert fail.fired > 0
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0


@pytest.fixture
def merci_facteur(harness: Harness):
    """Letters posted through the real Merci Facteur adapter, against the fake API (tests/support)."""
    with FakeMerciFacteur(slow_seconds=1.5, max_lifetime_s=900) as fake:
        harness.stack.resolver.parameters.update(LetterProvider="merci_facteur", PostalApiUrl=fake.base_url)
        credentials = {"service_id": fake.service_id, "secret_key": fake.secret_key, "user_id": fake.user_id,
                       "sender_name": "Atelier Bois & Fils", "timeout": 0.5,
                       "sender_address": {"line1": "18 rue de Gerland", "postal_code": "69007", "city": "Lyon",
                                          "country": "FR"}}
        harness.stack.client("ssm").put_parameter(Name="/relance/postal/credentials", Value=json.dumps(credentials),
                                                  Type="SecureString", Overwrite=True)
        harness.letters = lambda: Counter(e.antidoublon for e in fake.envois.values())
        yield fake


@full_only
@pytest.mark.parametrize("fault", ["503", "429"])
def test_merci_facteur_unavailable_is_retried_and_posts_each_letter_once(harness, merci_facteur, fault):
    merci_facteur.fail_next(fault, times=4, op="sendCourrier")  # the first letter fails four times out of five
    harness.faults_fired += 4

    harness.run()
    figures = harness.check()

    assert len(merci_facteur.calls("sendCourrier")) > len(merci_facteur.envois)
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0


def test_a_letter_whose_answer_timed_out_is_sent_once_and_its_status_callbacks_find_it(harness, merci_facteur):
    """The provider posted the letter but its answer was lost (timeout): the retry is refused by the
    provider's anti-duplicate (AlreadySentError). The letter went out once, the history says sent, and Merci
    Facteur's webhooks (printed, delivered), which name the sending by an id we never received, still reach
    the invoices' history — the delivery date of a formal notice is what the litigation step waits for."""
    merci_facteur.fail_next("slow", times=1, op="sendCourrier")
    harness.faults_fired += 1

    harness.run()
    figures = harness.check()

    assert figures.duplicates == 0, "the provider's anti-duplicate posts each letter once"
    assert figures.violations == []
    refused = [r for r in merci_facteur.calls("sendCourrier")
               if sum(x.form["antidoublon"] == r.form["antidoublon"] for x in merci_facteur.calls("sendCourrier")) > 1]
    assert refused, "the lost answer was retried and refused as a duplicate"
    put_demo_secrets(harness.stack)
    secret = DEMO_SECRETS["/relance/postal/callback-secret"]
    delivered_on = harness.days[-1]
    outcomes = []
    for envoi in merci_facteur.envois.values():
        merci_facteur.print_envoi(envoi.id, on=delivered_on)
        merci_facteur.deliver(envoi.id, on=delivered_on)
        for name in ("printed", "delivered", "delivered"):  # Merci Facteur retries a webhook: applied once
            body, headers = merci_facteur.webhook(envoi.id, name, on=delivered_on, secret=secret)
            answer = harness.functions.invoke("PostalStatusFunction", http_post_event("/postal/status", body, headers))
            outcomes.extend(json.loads(answer["body"])["outcomes"])

    assert outcomes.count("unknown") == 0, "every webhook found its letter"
    assert outcomes.count("recorded") == 2 * len(merci_facteur.envois)
    for envoi in merci_facteur.envois.values():
        letter = json.loads(harness.store.letter(envoi.id)["message"])
        for action in letter["actions"]:
            history = harness.store.history(action["invoice"])
            sent = [e for e in history if e["kind"] == "sent" and e.get("step") == action["step"]]
            news = [e["kind"] for e in history if e.get("provider_id") == str(envoi.id) and e["kind"] != "sent"]
            assert len(sent) == 1 and news == ["postal_printed", "delivered"]
            invoice, _ = harness.store.invoice(action["invoice"])
            (entry,) = [h for h in invoice.history if h.step == action["step"]]
            assert entry.delivered_on == delivered_on


# -- 3. DynamoDB conditional failures and throttling ------------------------------------------------------------
def _records_an_action(params: dict[str, Any]) -> bool:
    items = params.get("TransactItems", [])
    return bool(items) and items[0].get("Put", {}).get("Item", {}).get("sk", {}).get("S", "").startswith("ACT#")


@pytest.mark.parametrize("fault", ["throughput", *(pytest.param(f, marks=full_only) for f in (
    "conflict", "version_changed", "applied_then_timeout"))])
def test_dynamodb_failing_every_fourth_transaction_records_each_action_once(harness, fault):
    harness.exact = False  # a failed shard job may leave a step for the next run: late, never lost
    fail = harness.fault(Every(4))
    table = harness.stack.physical["DataTable"]
    dynamodb = harness.stack.client("dynamodb")

    def before_call(**_: Any):
        if not fail():
            return None
        if fault == "throughput":
            return aws_error(400, "ProvisionedThroughputExceededException", "The level of configured provisioned "
                             "throughput for the table was exceeded.")
        return aws_error(400, "TransactionCanceledException", "Transaction cancelled",
                         CancellationReasons=[{"Code": "None"}, {"Code": "TransactionConflict"}])

    def concurrent_writer(params: dict[str, Any], **_: Any) -> None:
        """An import updates the invoice between the shard's read and its record: a real conditional failure."""
        if _records_an_action(params) and fail():
            key = params["TransactItems"][1]["Update"]["Key"]
            dynamodb.update_item(TableName=table, Key=key, UpdateExpression="SET version = version + :one",
                                 ExpressionAttributeValues={":one": {"N": "1"}})

    def answer_lost(http_response: Any, **_: Any) -> None:
        if http_response.status_code == 200 and fail():
            raise ReadTimeoutError(endpoint_url="http://dynamodb.injected.invalid")

    event, handler = {
        "throughput": ("before-call.dynamodb.TransactWriteItems", before_call),
        "conflict": ("before-call.dynamodb.TransactWriteItems", before_call),
        "version_changed": ("before-parameter-build.dynamodb.TransactWriteItems", concurrent_writer),
        "applied_then_timeout": ("after-call.dynamodb.TransactWriteItems", answer_lost),
    }[fault]
    with botocore_hook(event, handler):
        harness.run()
    figures = harness.check(recover=True)

    assert fail.fired > 0
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0


# -- 4. a crash between recording and queuing -------------------------------------------------------------------
@pytest.mark.parametrize("when", ["after_send", *(pytest.param(w, marks=full_only)
                                                  for w in ("before_send", "all_day"))])
def test_a_crash_between_recording_and_queuing_is_queued_by_the_next_run_once(harness, monkeypatch, when):
    send = SqsQueues.send
    crash_day = harness.days[1]
    today: dict[str, date] = {}
    crashed = harness.fault(Every(10**9))  # fires on its first call only

    class Crash(RuntimeError):
        pass

    def crashing(self: SqsQueues, channel: str, bodies: Any) -> set[str]:
        if when == "all_day":
            if today["day"] == crash_day:
                harness.faults_fired += 1
                raise Crash("the shard job died before SendMessageBatch")
            return send(self, channel, bodies)
        if when == "after_send":
            accepted = send(self, channel, bodies)
            if crashed():
                raise Crash("the shard job died after SendMessageBatch, before clearing its outbox")
            return accepted
        if crashed():
            raise Crash("the shard job died before SendMessageBatch")
        return send(self, channel, bodies)

    monkeypatch.setattr(SqsQueues, "send", crashing)
    harness.run(before=lambda day: today.update(day=day))
    figures = harness.check(recover=True)

    assert figures.faults > 0
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0
    if when == "all_day":
        assert figures.late > 0, "the crash day's actions go out the next day"


# -- 5. SQS duplicate deliveries ------------------------------------------------------------------------------
def test_every_message_delivered_twice_is_sent_once(harness):
    sqs = harness.stack.client("sqs")

    def send_twice(params: dict[str, Any], **_: Any) -> None:
        sqs.send_message_batch(QueueUrl=params["QueueUrl"], Entries=params["Entries"])
        harness.faults_fired += len(params["Entries"])

    with botocore_hook("before-parameter-build.sqs.SendMessageBatch", send_twice):
        harness.run()
    figures = harness.check()

    assert figures.faults > 0
    assert figures.violations == []
    assert figures.duplicates == 0 and figures.lost == 0


# -- 6. two evaluator runs at once ----------------------------------------------------------------------------
@full_only
def test_the_schedule_firing_twice_plans_each_step_once(harness):
    def fire_again(day: date) -> None:
        harness.functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
        harness.faults_fired += 1

    harness.run(before=fire_again)
    figures = harness.check()

    assert figures.violations == []
    assert figures.duplicates == 0 and figures.lost == 0


def evaluate_in_two_containers(h: Harness, day: date) -> list[BaseException]:
    """Two evaluator containers evaluate every shard of ``day`` at the same moment: both read the shard,
    then both record and flush. Each has its own runtime (clients, rules) as two Lambda containers do; they
    call what the handler calls for a shard job."""
    errors: list[BaseException] = []
    with h.stack.environment("EvaluatorFunction", SAMPLE_RULES) as env:
        runtimes = [Runtime(Settings.from_env(env)) for _ in range(2)]
        for rt in runtimes:  # clients are built before the threads start: boto3's session is not thread-safe
            _ = rt.store, rt.queues, rt.planner
        gate = threading.Barrier(2)
        lock = threading.Lock()

        def container(rt: Runtime) -> None:
            try:
                for shard in range(shards(h.stack)):
                    gate.wait(timeout=30)
                    report = evaluate_shard(rules=rt.rules, store=rt.store, queue=rt.queues, run_date=day,
                                            shard=shard, planner=rt.planner, record_workers=1)
                    with lock:
                        h.faults_fired += report.already_recorded  # lost to the other container: a real race
            except BaseException as err:  # handed back to the test
                errors.append(err)
                gate.abort()

        threads = [threading.Thread(target=container, args=(rt,)) for rt in runtimes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return errors


def test_two_evaluator_containers_at_once_plan_and_send_each_step_once(harness):
    errors: list[BaseException] = []
    harness.run(before=lambda day: errors.extend(evaluate_in_two_containers(harness, day)))
    figures = harness.check()

    assert errors == []
    assert figures.violations == []
    assert figures.duplicates == 0 and figures.lost == 0


# -- 7. a payment arriving while a send is in flight -----------------------------------------------------------
def test_a_payment_between_the_evaluation_and_the_send_cancels_it(harness):
    paid: dict[str, date] = {}
    today: dict[str, date] = {}

    def pay_some_in_flight() -> None:
        for n, message in enumerate(in_flight(harness)):
            if n % 2 == 0 and message["channel"] != "litigation":
                invoice_id = message["actions"][0]["invoice"]
                harness.pay(invoice_id, today["day"])
                paid[invoice_id] = today["day"]
                harness.faults_fired += 1

    harness.functions.before_channels.append(pay_some_in_flight)
    harness.run(before=lambda day: today.update(day=day))
    figures = harness.check()

    assert paid, "some messages were in flight"
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0
    for invoice_id, day in paid.items():
        cancelled = events_of(harness, invoice_id, "action_cancelled")
        sends = events_of(harness, invoice_id, "sent") + events_of(harness, invoice_id, "call_task")
        assert [(e["date"], e["reason"]) for e in cancelled] == [(day.isoformat(), "paid")], invoice_id
        assert [e for e in sends if e["date"] >= day.isoformat()] == [], invoice_id


@full_only
def test_a_payment_during_the_send_stops_every_later_reminder(harness):
    """The payment lands after the e-mail function re-read the invoice, while SES sends: that e-mail goes
    (the same day); nothing after it."""
    harness.payment_order_strict = False
    today: dict[str, date] = {}
    messages: dict[str, dict[str, Any]] = {}
    paid: dict[str, date] = {}

    def remember_in_flight() -> None:
        messages.update({m["key"]: m for m in in_flight(harness)})

    def send_email(params: dict[str, Any], **_: Any) -> None:
        raw = params["Content"]["Raw"]["Data"]
        key = "".join(message_from_bytes(raw).get("Message-ID", "").split()).strip("<>").split("@")[0]
        message = messages.get(key)
        if message is None or len(paid) >= 2 * (harness.days.index(today["day"]) + 1):
            return
        invoice_id = message["actions"][0]["invoice"]
        if invoice_id not in paid:
            answer = pay_with_stripe(harness.functions, harness.store, invoice_id, today["day"])
            assert answer["outcome"] == "paid", answer
            harness.payments[invoice_id] = paid[invoice_id] = today["day"]
            harness.faults_fired += 1

    put_demo_secrets(harness.stack)
    harness.functions.before_channels.append(remember_in_flight)
    with botocore_hook("before-parameter-build.sesv2.SendEmail", send_email):
        harness.run(before=lambda day: today.update(day=day))
    figures = harness.check()

    assert paid
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0
    for invoice_id, day in paid.items():
        sends = events_of(harness, invoice_id, "sent") + events_of(harness, invoice_id, "call_task")
        assert all(e["date"] <= day.isoformat() for e in sends), invoice_id


# -- 8. rules made invalid mid-period ---------------------------------------------------------------------------
def break_rules(rules_dir) -> None:
    segments = rules_dir / "segments.yaml"
    segments.write_text(segments.read_text(encoding="utf-8").replace("scenario: standard", "scenario: standart"),
                        encoding="utf-8")


def test_invalid_rules_send_nothing_then_the_missed_steps_catch_up_once(harness, rules_copy):
    from relance.rules.loader import RulesError  # noqa: F401  (what a broken run raises, named in the failures)

    harness.functions.rules_dir = rules_copy
    good = (rules_copy / "segments.yaml").read_text(encoding="utf-8")
    broken_from, fixed_on = harness.days[1], harness.days[3]
    harness.outage = {d for d in harness.days if broken_from <= d < fixed_on}

    def before(day: date) -> None:
        if day == broken_from:
            break_rules(rules_copy)
        if day == fixed_on:
            (rules_copy / "segments.yaml").write_text(good, encoding="utf-8")

    harness.run(before=before)
    figures = harness.check()

    evaluator_failures = {(d, e) for f, d, e in harness.functions.schedule_failures if f == "EvaluatorFunction"}
    assert evaluator_failures == {(d.isoformat(), "RulesError") for d in harness.outage}
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0 and figures.late > 0


@full_only
def test_rules_broken_while_messages_are_in_flight_park_them_until_the_fix_and_a_redrive(harness, rules_copy):
    harness.functions.rules_dir = rules_copy
    good = (rules_copy / "segments.yaml").read_text(encoding="utf-8")
    broken_on, fixed_on = harness.days[1], harness.days[3]
    today: dict[str, date] = {}

    def break_after_evaluation() -> None:
        if today["day"] == broken_on:
            break_rules(rules_copy)
            harness.faults_fired += 1

    def before(day: date) -> None:
        today["day"] = day
        if day == fixed_on:
            (rules_copy / "segments.yaml").write_text(good, encoding="utf-8")

    harness.outage = {d for d in harness.days if broken_on < d < fixed_on}
    harness.functions.before_channels.append(break_after_evaluation)
    harness.run(before=before)
    figures = harness.check(recover=True)

    assert figures.dead_letters > 0
    assert figures.violations == []
    assert figures.lost == 0 and figures.duplicates == 0
