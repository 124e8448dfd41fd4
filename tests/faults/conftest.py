"""The fault-injection suite's harness: the real handlers on the local stack, day by day, with faults.

Each scenario seeds a book, runs ``run_day`` (the demo's day: the scheduled evaluator, the shard jobs, the
channel queues, the call digest) while a fault is injected, then hands the run to ONE checker,
:func:`check_invariants`, which measures what a user would check: every planned action executed exactly
once, nothing sent after payment, no message sent twice, each invoice's history complete and ordered, and
nothing left behind but what a dead-letter queue keeps (recoverable, so counted late, not lost).

``RELANCE_FAULTS=full`` (``make test-faults``) runs every variant on a generated book of 60 invoices over two
weeks of calendar days; the default (what ``make test`` runs) runs one variant per fault on the packaged sample
over its first four business days. The figures are printed at the end of the session and kept in
``out/faults.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from relance.adapters.dynamo import DynamoStore
from relance.cli import sample_data_path
from relance.datafile import load_book, parse_book
from relance.domain.approval import ApprovalState
from relance.domain.calendar import BusinessCalendar
from relance.domain.model import Book, HistoryEntry
from relance.domain.planner import Planner
from relance.domain.policy import Rules
from relance.local.demo import DRAIN_ORDER, pay_with_stripe, put_demo_secrets, run_day
from relance.local.runner import LocalFunctions
from relance.local.stack import LocalStack
from relance.rules.loader import load_rules_or_raise

from ..conftest import REPO, SAMPLE_RULES
from ..integration.conftest import _stack  # noqa: F401  (the session's moto server, provisioned from template.yaml)

FULL = os.environ.get("RELANCE_FAULTS", "").strip().lower() == "full"
ACCOUNT = "123456789012"
START = date(2026, 11, 2)  # the first business day of the demo's month of runs (1 Nov is a Sunday, and Toussaint)
FULL_DAYS = 14
RESULTS: dict[str, Figures] = {}
SESSION: dict[str, str] = {}
full_only = pytest.mark.skipif(not FULL, reason="in the full form only (RELANCE_FAULTS=full)")


# -- the book and the days ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    label: str
    book: Book
    days: tuple[date, ...]

    @property
    def after(self) -> date:
        """The first business day after the window: when an operator redrives a dead-letter queue."""
        day = self.days[-1] + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day


def business_days(rules: Rules, start: date, count: int) -> tuple[date, ...]:
    """The first ``count`` days the rules' calendar acts on: the days with something to do."""
    calendar = BusinessCalendar(rules.calendar)
    out: list[date] = []
    day = start
    while len(out) < count:
        if calendar.can_act_on(day):
            out.append(day)
        day += timedelta(days=1)
    return tuple(out)


def generated_book(rules: Rules, start: date, *, customers: int = 20, invoices: int = 60, seed: int = 2026) -> Book:
    """A book as it stands after relance ran for four months: due dates spread so that steps fall due on
    most days of the window, every segment, customers without e-mail (letters) or without a postal address
    (a permanent failure), a few invoices paid or disputed, and a late import that catches up."""
    rnd = random.Random(seed)
    managers = ("julie.perrin@atelier-bois-fils.example", "marc.dubreuil@atelier-bois-fils.example", "")
    cs = []
    for n in range(customers):
        no_address = n == customers - 2
        cs.append({"id": f"G{n + 1:03d}", "name": f"Client généré {n + 1}",
                   "kind": "consumer" if n % 6 == 5 else "business",
                   "email": "" if n % 11 == 7 or no_address else f"compta@client{n + 1}.example",
                   "tags": ["grand_compte"] if n % 8 == 1 else [],
                   "address": ({"line1": "", "postal_code": "", "city": ""} if no_address else
                               {"line1": f"{n + 2} rue des Tanneurs", "postal_code": "69001", "city": "Lyon"}),
                   "account_manager": managers[n % len(managers)]})
    rows = []
    for k in range(invoices):
        due = start + timedelta(days=rnd.randint(-58, 12))
        row = {"id": f"G-2026-{k + 1:04d}", "customer_id": cs[k % customers]["id"],
               "issue_date": (due - timedelta(days=45)).isoformat(), "due_date": due.isoformat(),
               "amount": rnd.choice(["96.00", "480.00", "1250.00", "2300.00", "5400.00", "820.50", "3600.00"])}
        if k % 19 == 3:
            row.update(status="paid", amount_due="0", paid_on=(start - timedelta(days=2)).isoformat())
        elif k % 23 == 5:
            row["status"] = "disputed"
        rows.append(row)
    fresh = parse_book(json.dumps({"customers": cs, "invoices": rows}))
    history: dict[str, list[HistoryEntry]] = defaultdict(list)
    for dated in Planner(rules).simulate(fresh, start - timedelta(days=120), start - timedelta(days=1)):
        history[dated.action.invoice].append(HistoryEntry(dated.action.step, dated.date, dated.action.channel))
    late_import = {r["id"] for k, r in enumerate(rows) if k % 10 == 0}
    return Book(fresh.customers, tuple(i if i.id in late_import else replace(i, history=tuple(history[i.id]))
                                       for i in fresh.invoices))


@pytest.fixture(scope="session")
def sample_rules() -> Rules:
    return load_rules_or_raise(SAMPLE_RULES)


@pytest.fixture(scope="session")
def window(sample_rules: Rules) -> Window:
    chosen = full_window(sample_rules) if FULL else short_window(sample_rules)
    SESSION["window"] = chosen.label
    return chosen


def full_window(sample_rules: Rules) -> Window:
    return Window(f"60 generated invoices, {FULL_DAYS} calendar days", generated_book(sample_rules, START),
                  tuple(START + timedelta(days=n) for n in range(FULL_DAYS)))


def short_window(sample_rules: Rules) -> Window:
    return Window("the packaged sample, 4 business days", load_book(sample_data_path()),
                  business_days(sample_rules, START, 4))


# -- the local stack ---------------------------------------------------------------------------------------
@contextmanager
def isolated_dynamodb_requests() -> Iterator[None]:
    """Serve moto's DynamoDB requests one at a time.

    DynamoDB isolates a transaction; moto copies the whole table, applies, and on a cancellation puts the
    copy back — over whatever another thread wrote meanwhile. Two functions running at once (scenario 6)
    would then lose writes that DynamoDB keeps, so the server side is serialised; the clients still interleave.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    lock = threading.RLock()

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action
    try:
        yield
    finally:
        DynamoHandler.call_action = original


@contextmanager
def warm_rules() -> Iterator[None]:
    """Load each version of a rules directory once, as a warm Lambda container keeps the rules it loaded.

    The local runner starts every invocation cold (its settings come from the environment of the call), so
    without this every invocation would read and check the same YAML again (~85 ms). A directory is known
    by its files' contents: rules edited mid-run (scenario 8) are loaded and checked again."""
    from relance.rules import loader

    original = loader.load_rules_or_raise
    loaded: dict[tuple[str, bool, str], Rules] = {}

    def load_rules_or_raise(directory: str | Path, *, check_templates: bool = False) -> Rules:
        root = Path(directory)
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        key = (str(root.resolve()), check_templates, digest.hexdigest())
        if key not in loaded:
            loaded[key] = original(directory, check_templates=check_templates)
        return loaded[key]

    loader.load_rules_or_raise = load_rules_or_raise
    try:
        yield
    finally:
        loader.load_rules_or_raise = original


@pytest.fixture(scope="package")
def _faults_stack(_stack: LocalStack) -> Iterator[LocalStack]:  # noqa: F811
    """The session's server, with this suite's two adjustments for as long as the suite runs."""
    with isolated_dynamodb_requests(), warm_rules():
        yield _stack


@pytest.fixture
def stack(_faults_stack: LocalStack) -> Iterator[LocalStack]:
    """Reset before each scenario; the documents bucket versioned as template.yaml declares it, so a letter
    stored twice under one key shows as two versions."""
    from moto.ses.models import ses_backends

    saved = dict(_faults_stack.resolver.parameters)
    _faults_stack.reset()
    _faults_stack.client("s3").put_bucket_versioning(Bucket=_faults_stack.physical["DocumentsBucket"],
                                                     VersioningConfiguration={"Status": "Enabled"})
    ses_backends[ACCOUNT][_faults_stack.region].sent_messages.clear()
    yield _faults_stack
    _faults_stack.resolver.parameters.clear()
    _faults_stack.resolver.parameters.update(saved)


def shards(stack: LocalStack) -> int:
    return int(stack.resolver.parameters["Shards"])


# -- faults ------------------------------------------------------------------------------------------------
def aws_error(status: int, code: str, message: str = "injected fault", **extra: Any) -> tuple[AWSResponse, dict]:
    """What a botocore ``before-call`` handler returns to answer in AWS's place."""
    return (AWSResponse("https://injected.invalid", status, {}, None),
            {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}, **extra})


@contextmanager
def botocore_hook(event: str, handler: Callable[..., Any]) -> Iterator[None]:
    """Register a handler on the session the functions' clients come from (boto3's default session);
    the harness's own clients (``stack.client``) use another session and are never touched."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    session.events.register(event, handler)
    try:
        yield
    finally:
        session.events.unregister(event, handler)


@dataclass
class Every:
    """Fail the first call and every ``n``-th after it, counting the calls and the faults that fired."""

    n: int
    calls: int = 0
    fired: int = 0

    def __call__(self) -> bool:
        self.calls += 1
        if (self.calls - 1) % self.n == 0:
            self.fired += 1
            return True
        return False


# -- the functions, with the retries AWS makes around them -------------------------------------------------
SCHEDULED = ("EvaluatorFunction", "DigestFunction")
SCHEDULER_ATTEMPTS = 3


class FaultFunctions(LocalFunctions):
    """The template's functions as ``run_day`` drives them, plus what AWS does around a failure.

    EventBridge Scheduler retries a failed scheduled invocation (three attempts here). A digest still failing
    is retried at the start of the next day, inside the Scheduler's 24-hour window; an evaluation is not: the
    next day's run supersedes it (it plans from the invoices, whatever day it is). Every failure is recorded,
    never swallowed: the scenarios assert on :attr:`schedule_failures`.
    """

    def __init__(self, stack: LocalStack, rules_dir: Path) -> None:
        super().__init__(stack, rules_dir)
        self.before_channels: list[Callable[[], None]] = []
        self.schedule_failures: list[tuple[str, str, str]] = []
        self.overdue_schedules: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def invoke(self, logical: str, event: dict[str, Any], **env: str) -> Any:
        if logical not in SCHEDULED or "Records" in event:
            return super().invoke(logical, event, **env)
        errors = []
        for _ in range(SCHEDULER_ATTEMPTS):
            try:
                return super().invoke(logical, event, **env)
            except Exception as err:  # recorded below and asserted by the scenario: a failed scheduled run
                errors.append(type(err).__name__)
        self.schedule_failures.append((logical, event.get("run_date", ""), errors[-1]))
        if logical == "DigestFunction":
            self.overdue_schedules.append((logical, event, env))
        return None

    def drain(self, queue_logical: str, logical: str, **kwargs: Any) -> dict[str, int]:
        if queue_logical == DRAIN_ORDER[0][0]:  # run_day's first channel drain: the day's evaluation is done
            for hook in self.before_channels:
                hook()
        return super().drain(queue_logical, logical, **kwargs)

    def retry_overdue(self) -> None:
        pending, self.overdue_schedules = self.overdue_schedules, []
        for logical, event, env in pending:
            self.invoke(logical, event, **env)


# -- one scenario's run ------------------------------------------------------------------------------------
@dataclass
class Figures:
    scenario: str
    cases: int = 0
    expected: int = 0  # actions the planner alone says are due over the window, with no fault
    planned: int = 0
    executed: int = 0
    duplicates: int = 0
    lost: int = 0
    late: int = 0  # executed after their day, planned after the planner's day, or waiting in a queue or the outbox
    dropped: int = 0  # pre-due steps a fault held back past the due date: dropped by the planner (SPEC §2)
    dead_letters: int = 0  # messages found in a dead-letter queue (recoverable: a redrive delivers them)
    faults: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


@dataclass
class Harness:
    name: str
    stack: LocalStack
    store: DynamoStore
    functions: FaultFunctions
    window: Window
    rules: Rules
    started: float = field(default_factory=time.monotonic)
    payments: dict[str, date] = field(default_factory=dict)  # invoice → day paid (after that day's evaluation)
    outage: set[date] = field(default_factory=set)  # days the evaluator could not plan (invalid rules)
    exact: bool = True  # the faults leave planning alone: the planned actions must be the oracle's, day for day
    payment_order_strict: bool = True  # a send recorded after a full payment is a violation (not only a later day)
    letters: Callable[[], Counter[str]] | None = None  # message key → times the provider posted it
    fault_counters: list[Every] = field(default_factory=list)
    faults_fired: int = 0
    parked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (queue, body) left in a queue
    recovered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def book(self) -> Book:
        return self.window.book

    @property
    def days(self) -> tuple[date, ...]:
        return self.window.days

    def day(self, day: date) -> None:
        self.functions.retry_overdue()
        run_day(self.stack, self.functions, day)

    def run(self, days: tuple[date, ...] | None = None, *, before: Callable[[date], None] | None = None) -> None:
        for day in days or self.days:
            if before is not None:
                before(day)
            self.day(day)

    def pay(self, invoice_id: str, day: date) -> dict[str, Any]:
        """The whole invoice paid through the real webhook function (a signed Stripe ``invoice.paid``)."""
        if not self.payments:
            put_demo_secrets(self.stack)  # the webhook's signing secrets, in SSM
        answer = pay_with_stripe(self.functions, self.store, invoice_id, day)
        assert answer["status"] == 200 and answer["outcome"] == "paid", answer
        self.payments.setdefault(invoice_id, day)
        return answer

    def fault(self, every: Every) -> Every:
        self.fault_counters.append(every)
        return every

    # -- what is left behind, and the operator's redrive ---------------------------------------------------
    def sweep(self, *, recover: bool) -> None:
        """Take every message left on any queue (dead-letter queues included). With ``recover``, do what the
        operator does after the DLQ alarm — move them back to their queue — and deliver them on the next
        business day after the window."""
        sqs = self.stack.client("sqs")
        sources = dead_letter_sources(self.stack)
        for logical, url in self.stack.physical.items():
            if not logical.endswith("Queue") and not logical.endswith("DLQ"):
                continue
            while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                for message in batch:
                    self.parked.append((logical, json.loads(message["Body"])))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not recover or not self.parked:
            return
        today = {"RELANCE_TODAY": self.window.after.isoformat()}
        for logical, body in self.parked:
            target = sources.get(logical, logical)
            sqs.send_message(QueueUrl=self.stack.physical[target], MessageBody=json.dumps(body, ensure_ascii=False))
        self.recovered, self.parked = self.parked, []
        self.functions.before_channels.clear()  # the scenario's mid-day hooks belong to its own days
        self.functions.drain("EvaluationQueue", "EvaluatorFunction")
        for queue, function in DRAIN_ORDER:
            self.functions.drain(queue, function, **today)
        self.functions.invoke("DigestFunction", {"run_date": self.window.after.isoformat()}, **today)

    def check(self, *, recover: bool = False) -> Figures:
        self.functions.retry_overdue()  # the Scheduler's last retries of a failed digest
        self.sweep(recover=recover)
        figures = check_invariants(self)
        RESULTS[self.name] = figures
        return figures


def dead_letter_sources(stack: LocalStack) -> dict[str, str]:
    """DLQ logical id → the queue whose redrive policy points at it (template.yaml)."""
    out = {}
    for logical, spec in stack.template["Resources"].items():
        policy = spec.get("Properties", {}).get("RedrivePolicy") if spec["Type"] == "AWS::SQS::Queue" else None
        if policy:
            out[policy["deadLetterTargetArn"]["Fn::GetAtt"][0]] = logical
    return out


@pytest.fixture
def harness(request: pytest.FixtureRequest, stack: LocalStack, window: Window, sample_rules: Rules) -> Harness:
    store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], shards(stack))
    store.seed(window.book)
    functions = FaultFunctions(stack, SAMPLE_RULES)
    h = Harness(request.node.name, stack, store, functions, window, sample_rules)
    h.letters = lambda: local_letters(stack)
    return h


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(SAMPLE_RULES, target)
    return target


def local_letters(stack: LocalStack) -> Counter[str]:
    """What the local postal provider posted: message key → versions stored under ``postal-local/letters/``."""
    s3 = stack.client("s3")
    bucket = stack.physical["DocumentsBucket"]
    posted: Counter[str] = Counter()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="postal-local/letters/"):
        for version in page.get("Versions", []):
            posted[Path(version["Key"]).stem] += 1
    return posted


def ses_message_ids(stack: LocalStack) -> list[str]:
    from moto.ses.models import ses_backends

    out = []
    for raw in ses_backends[ACCOUNT][stack.region].sent_messages:
        data = raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data
        folded = message_from_bytes(data).get("Message-ID", "")  # a long id is folded over two lines
        out.append("".join(folded.split()).strip("<>").split("@")[0])
    return out


# -- the oracle: what the planner alone says should happen -------------------------------------------------
def oracle(rules: Rules, book: Book, days: tuple[date, ...], *, paid: dict[str, date],
           outage: set[date] = frozenset()) -> dict[tuple[str, str], tuple[date, str, str]]:
    """(invoice, step) → (day, channel, scenario), running the pure planner over the same days, with the same payments
    (each applied after its day's evaluation), no run on the ``outage`` days, and nobody answering an approval."""
    planner = Planner(rules)
    invoices = {i.id: i for i in book.invoices}
    out: dict[tuple[str, str], tuple[date, str, str]] = {}
    for day in days:
        if day not in outage:
            plan = planner.plan(Book(book.customers, tuple(invoices.values())), day)
            # A step that requires approval is asked for and nobody answers here: it goes after its timeout
            # (then: send), as the evaluator's apply_timeouts decides (the sample rules ask it for formal notices).
            for asked in plan.awaiting:
                invoices[asked.invoice] = replace(invoices[asked.invoice], approval=ApprovalState(
                    asked.step, "pending", day, channel=asked.channel, scenario=asked.scenario))
            for action in plan.actions:
                out[(action.invoice, action.step)] = (day, action.channel, action.scenario)
                inv = invoices[action.invoice]
                invoices[action.invoice] = replace(inv, history=(*inv.history, HistoryEntry(action.step, day,
                                                                                             action.channel)))
        for invoice_id, on in paid.items():
            if on == day:
                invoices[invoice_id] = replace(invoices[invoice_id], status="paid", amount_due=Decimal(0), paid_on=on)
    return out


# -- the one checker ---------------------------------------------------------------------------------------
TERMINAL = {"sent", "call_task", "action_cancelled", "action_failed", "litigation_refused", "litigation",
            "litigation_parked"}
SENDS = {"sent", "call_task"}


def _terminal_and_extra(events: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The outcome of one planned step and anything recorded beyond it. An e-mail refused and moved to a
    letter (``action_failed`` then ``rerouted``) waits for the letter's outcome; a litigation step parked until
    its formal notice's deadline, for the outcome on that day (still parked when the window ends)."""
    terminal, extra = None, []
    for i, event in enumerate(events):
        if terminal is not None:
            extra.append(event)
            continue
        moved = event["kind"] == "rerouted" or (
            event["kind"] == "action_failed" and any(e["kind"] == "rerouted" for e in events[i + 1:])) or (
            event["kind"] == "litigation_parked" and any(e["kind"] in TERMINAL for e in events[i + 1:]))
        if not moved and event["kind"] in TERMINAL:
            terminal = event
    return terminal, extra


def check_invariants(h: Harness) -> Figures:
    """Measure one run against the invariants; every breach is a line in ``violations``."""
    f = Figures(h.name, cases=len(h.book.invoices))
    bad = f.violations
    seeded = {i.id: i for i in h.book.invoices}
    step_index = {(name, s.id): n for name, sc in h.rules.scenarios.items() for n, s in enumerate(sc.steps)}
    steps_at = {(name, s.id): s.at for name, sc in h.rules.scenarios.items() for s in sc.steps}
    fault_free = oracle(h.rules, h.book, h.days, paid=h.payments)
    expected = oracle(h.rules, h.book, h.days, paid=h.payments, outage=h.outage)
    f.expected = len(fault_free)

    parked_actions = {(a["invoice"], a["step"]) for _, body in h.parked for a in body.get("actions", [])}
    parked_shards = {body["shard"] for _, body in h.parked if "shard" in body}
    f.dead_letters = sum(1 for q, _ in [*h.parked, *h.recovered] if q.endswith("DLQ"))
    outbox = {(a.invoice, a.step) for s in range(shards(h.stack)) for a in h.store.pending_outbox(s)}

    planned: dict[tuple[str, str], date] = {}
    scenario_of: dict[tuple[str, str], str] = {}
    sent_keys: dict[str, set[str]] = defaultdict(set)  # channel → message keys recorded as sent
    outcome_kinds: Counter[str] = Counter()
    late: set[tuple[str, str]] = set()
    for invoice_id, seed in seeded.items():
        events = h.store.history(invoice_id)
        state = h.store.invoice(invoice_id)
        # -- complete and ordered --------------------------------------------------------------------------
        days_seen = [e.get("date", "") for e in events]
        if days_seen != sorted(days_seen):
            bad.append(f"{invoice_id}: history dates out of order {days_seen}")
        mine = [e for e in events if e["kind"] == "action_planned"]
        for e in mine:
            if (invoice_id, e["step"]) in planned:
                bad.append(f"{invoice_id}/{e['step']}: planned twice")
            planned[(invoice_id, e["step"])] = date.fromisoformat(e["date"])
            scenario_of[(invoice_id, e["step"])] = e["scenario"]
        order = [step_index.get((e["scenario"], e["step"]), -1) for e in mine]
        if order != sorted(set(order)):
            bad.append(f"{invoice_id}: steps planned out of scenario order {[e['step'] for e in mine]}")
        recorded = [(h.step, h.date.isoformat()) for h in state[0].history[len(seed.history):]] if state else []
        if recorded != [(e["step"], e["date"]) for e in mine]:
            bad.append(f"{invoice_id}: dunning state {recorded} ≠ history {[(e['step'], e['date']) for e in mine]}")
        # -- none after payment ----------------------------------------------------------------------------
        paid_at = [(e["date"], e["at"]) for e in events if e["kind"] == "payment" and e.get("outcome") == "paid"]
        paid_on = min([d for d, _ in paid_at] + ([state[0].paid_on.isoformat()] if state and state[0].paid_on else []),
                      default=None)
        for e in events:
            if e["kind"] not in SENDS:
                continue
            if paid_on is not None and e["date"] > paid_on:
                bad.append(f"{invoice_id}/{e.get('step')}: {e['kind']} on {e['date']}, paid on {paid_on}")
            if h.payment_order_strict and any(at < e["at"] for _, at in paid_at):
                bad.append(f"{invoice_id}/{e.get('step')}: {e['kind']} recorded after the payment was")
        # -- each planned step executed exactly once -------------------------------------------------------
        for e in mine:
            step = e["step"]
            own = [o for o in events if o["kind"] in TERMINAL | {"rerouted"} and o.get("step") == step]
            if e["channel"] == "litigation":
                own += [o for o in events if o["kind"] == "litigation"]
                own.sort(key=lambda o: o["at"])
            if own and own[0]["at"] < e["at"]:
                bad.append(f"{invoice_id}/{step}: an outcome precedes the planning")
            terminal, extra = _terminal_and_extra(own)
            if extra:
                f.duplicates += len(extra)
                bad.append(f"{invoice_id}/{step}: executed more than once {[o['kind'] for o in own]}")
            if terminal is None:
                if (invoice_id, step) in parked_actions or (invoice_id, step) in outbox \
                        or int(e["shard"]) in parked_shards:
                    late.add((invoice_id, step))  # in a queue or the outbox: the next run or a redrive sends it
                else:
                    f.lost += 1
                    kinds = [o["kind"] for o in own]
                    bad.append(f"{invoice_id}/{step}: planned on {e['date']}, never executed {kinds}")
                continue
            f.executed += 1
            outcome_kinds[terminal["kind"]] += 1
            position = step_index.get((e["scenario"], step), -1)
            if terminal["kind"] in SENDS and any(p["at"] < terminal["at"] for p in mine
                                                 if step_index.get((p["scenario"], p["step"]), -1) > position):
                bad.append(f"{invoice_id}/{step}: {terminal['kind']} on {terminal['date']}, after the next step "
                           "was planned: a stale reminder")
            elif terminal["kind"] in SENDS and steps_at.get((e["scenario"], step), 0) < 0 \
                    and terminal["date"] > seed.due_date.isoformat():
                # SPEC §2: a step planned before the due date is abandoned once the due date has passed.
                bad.append(f"{invoice_id}/{step}: a pre-due reminder sent on {terminal['date']}, after the due date "
                           f"{seed.due_date}")
            if terminal["date"] > e["date"]:
                late.add((invoice_id, step))
            if terminal["kind"] == "sent" and terminal.get("message_key"):
                sent_keys[terminal["channel"]].add(terminal["message_key"])
        for o in events:
            if o["kind"] in SENDS and (invoice_id, o.get("step")) not in planned:
                bad.append(f"{invoice_id}/{o.get('step')}: {o['kind']} without a planned action")
    f.planned = len(planned)
    f.outcomes = dict(sorted(outcome_kinds.items()))

    # -- planning against the oracle --------------------------------------------------------------------------
    if h.exact:
        for key in sorted(set(expected) | set(planned)):
            want = expected[key][0] if key in expected else None
            if planned.get(key) != want:
                bad.append(f"{key[0]}/{key[1]}: planned on {planned.get(key)}, the planner says {want}")
    else:
        # A fault may set an invoice back: its steps come later, never out of order. A step the planner wanted
        # and the run has not planned is pending (late: the next run plans it) unless a later step of the same
        # invoice was planned — then it was skipped: a pre-due step whose due date passed meanwhile is dropped
        # by design (SPEC §2), anything else is lost.
        reached: dict[str, int] = defaultdict(lambda: -1)
        for key in planned:
            reached[key[0]] = max(reached[key[0]], step_index.get((scenario_of[key], key[1]), -1))
        for key in sorted(set(planned) - set(fault_free)):
            bad.append(f"{key[0]}/{key[1]}: planned on {planned[key]}, never due by the planner")
        for key in sorted(set(fault_free) - set(planned)):
            day, _, scenario = fault_free[key]
            if reached[key[0]] < step_index[(scenario, key[1])]:
                late.add(key)
            elif steps_at[(scenario, key[1])] < 0:
                f.dropped += 1
            else:
                f.lost += 1
                bad.append(f"{key[0]}/{key[1]}: due on {day}, skipped")
    late |= {key for key, day in planned.items() if key in fault_free and day > fault_free[key][0]}
    f.late = len(late)

    # -- no message sent twice, and what the providers did matches the history ----------------------------------
    ids = ses_message_ids(h.stack)
    twice = {k: n for k, n in Counter(ids).items() if n > 1}
    if twice:
        f.duplicates += sum(n - 1 for n in twice.values())
        bad.append(f"e-mails sent more than once (Message-ID → times): {twice}")
    debtor_mail = {k for k in ids if not k.startswith(("digest-", "dossier-"))}
    if debtor_mail != sent_keys["email"]:
        bad.append(f"SES sent {sorted(debtor_mail - sent_keys['email'])} without a history, history says sent "
                   f"{sorted(sent_keys['email'] - debtor_mail)} but SES has none")
    if h.letters is not None:
        posted = h.letters()
        twice = {k: n for k, n in posted.items() if n > 1}
        if twice:
            f.duplicates += sum(n - 1 for n in twice.values())
            bad.append(f"letters posted more than once (key → times): {twice}")
        letters = sent_keys["letter"] | sent_keys["registered_letter"]
        if set(posted) != letters:
            bad.append(f"posted {sorted(set(posted) - letters)} without a history, history says sent "
                       f"{sorted(letters - set(posted))} but the provider has none")
    # -- each account manager told of the day's calls ----------------------------------------------------------
    for day in (*h.days, *((h.window.after,) if h.recovered else ())):
        tasks = {t["account_manager"] for t in h.store.call_tasks(day)}
        told = {d["account_manager"] for d in h.store.digests_sent(day)}
        if tasks - told:
            bad.append(f"{day}: no call digest for {sorted(tasks - told)}")
    if h.parked:
        bad.append(f"left in queues: {[(q, b.get('key', b)) for q, b in h.parked]} (recoverable by a redrive)")
    f.faults = h.faults_fired + sum(c.fired for c in h.fault_counters)
    f.seconds = round(time.monotonic() - h.started, 1)
    return f


# -- the figures, printed at the end of the session ------------------------------------------------------------
COLUMNS = {"cases": "cases", "expected": "due", "planned": "planned", "executed": "executed",
           "duplicates": "twice", "lost": "lost", "late": "late", "dropped": "dropped", "dead_letters": "in DLQ",
           "faults": "faults", "seconds": "s"}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The measured figures, one line per scenario (the README's reliability table), and out/faults.json."""
    if not RESULTS:
        return
    write = terminalreporter.write_line
    form = "full" if FULL else "short"
    terminalreporter.section(f"fault injection, {form} form: {SESSION.get('window', '')}")
    names = {key: key.removeprefix("test_") for key in RESULTS}
    width = max(len(n) for n in names.values())
    widths = {c: max(len(h), 5) for c, h in COLUMNS.items()}
    write(f"{'scenario':<{width}}  " + "  ".join(f"{h:>{widths[c]}}" for c, h in COLUMNS.items()) + "  invariants")
    for key, fig in RESULTS.items():
        cells = "  ".join(f"{getattr(fig, c):>{widths[c]}}" for c in COLUMNS)
        write(f"{names[key]:<{width}}  {cells}  {'hold' if not fig.violations else f'{len(fig.violations)} broken'}")
    write("due: actions the planner alone says are due over the window (no fault); late: executed after their day, "
          "planned after the planner's day, or waiting in a queue; in DLQ: messages a redrive delivered")
    out = REPO / "out" / "faults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"form": form, "window": SESSION.get("window", ""),
                               "scenarios": [asdict(f) for f in RESULTS.values()]},
                              ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write(f"figures written to {out.relative_to(REPO)}")
