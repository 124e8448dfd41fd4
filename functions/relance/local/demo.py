"""`relance demo`: the daily job on the embedded local AWS, with the sample rules and data.

Starts moto's server, creates the resources of template.yaml, loads the sample invoices, then runs the
real evaluator function day by day — the schedule's invocation, then the evaluation queue drained
through the same function — and collects what each day queued per channel.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..adapters.dynamo import DynamoStore
from ..domain.model import Book
from ..domain.terms import CHANNELS
from .runner import LocalFunctions, scheduled_event
from .stack import LocalStack

# The template's queue of each channel: EmailQueue, LetterQueue, RegisteredLetterQueue…
CHANNEL_QUEUES = {channel: channel.title().replace("_", "") + "Queue" for channel in CHANNELS}
# Which function drains which queue; the e-mail function may move a message to the letter queue, so letters
# are drained after e-mails.
DRAIN_ORDER = (("EmailQueue", "EmailFunction"), ("PhoneQueue", "PhoneFunction"), ("LetterQueue", "LetterFunction"),
               ("RegisteredLetterQueue", "LetterFunction"), ("LitigationQueue", "LitigationFunction"))


@dataclass
class DayResult:
    day: date
    messages: list[dict[str, Any]] = field(default_factory=list)
    emails: list[Path] = field(default_factory=list)
    letters: list[Path] = field(default_factory=list)
    digests: list[Path] = field(default_factory=list)
    dossiers: list[Path] = field(default_factory=list)

    @property
    def actions(self) -> int:
        """The invoice reminders of the day; a step taken up again after waiting (``resumes``) is not a new one."""
        return sum(len(m["actions"]) for m in self.messages if not m.get("resumes"))


@dataclass
class DemoResult:
    days: list[DayResult]
    rerun: DayResult | None = None
    dead_letters: int = 0
    imports: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)


DEMO_SECRETS = {"/relance/stripe/webhook-secrets": "whsec_demo_local_only",
                "/relance/payments/generic-secrets": "generic_demo_local_only",
                "/relance/postal/callback-secret": "postal_demo_local_only"}


def put_demo_secrets(stack: LocalStack) -> None:
    ssm = stack.client("ssm")
    for name, value in DEMO_SECRETS.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def stripe_invoice_paid(invoice_id: str, amount: Any, day: date) -> bytes:
    """An `invoice.paid` event as Stripe sends it, for one of our invoices (metadata.invoice_id)."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    paid_at = int(datetime.combine(day, time(9, 42), ZoneInfo("Europe/Paris")).timestamp())
    cents = int((amount * 100).to_integral_value())
    return json.dumps({
        "id": f"evt_demo_{invoice_id}", "object": "event", "api_version": "2024-06-20", "created": paid_at,
        "type": "invoice.paid", "livemode": False,
        "data": {"object": {"id": f"in_demo_{invoice_id}", "object": "invoice", "amount_paid": cents,
                            "currency": "eur", "number": invoice_id, "metadata": {"invoice_id": invoice_id},
                            "status": "paid", "status_transitions": {"paid_at": paid_at}}},
    }).encode()


def http_post_event(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A POST as the HTTP API (payload 2.0) hands it to a function."""
    return {"version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": "",
            "headers": {"content-type": "application/json", **headers},
            "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"},
                               "requestId": "demo", "routeKey": f"POST {path}", "stage": "$default"},
            "body": body.decode(), "isBase64Encoded": False}


def signed_http_event(path: str, body: bytes, header: str, signature: str) -> dict[str, Any]:
    return http_post_event(path, body, {header: signature})


def pay_with_stripe(functions: LocalFunctions, store: DynamoStore, invoice_id: str, day: date) -> dict[str, Any]:
    """Send a signed Stripe event that pays the whole invoice, through the real webhook function."""
    import hashlib
    import hmac
    import time as clock

    found = store.invoice(invoice_id)
    amount = found[0].amount_due if found else 0
    body = stripe_invoice_paid(invoice_id, amount, day)
    stamp = str(int(clock.time()))
    secret = DEMO_SECRETS["/relance/stripe/webhook-secrets"]
    v1 = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    answer = functions.invoke("WebhookFunction", signed_http_event("/webhooks/stripe", body, "stripe-signature",
                                                                    f"t={stamp},v1={v1}"))
    return {"date": day.isoformat(), "invoice": invoice_id, "amount": str(amount),
            "status": answer["statusCode"], **json.loads(answer["body"])}


def drop_exports(stack: LocalStack, functions: LocalFunctions, exports: list[Path],
                 out_dir: Path | None) -> list[dict[str, Any]]:
    """Drop CSV exports in the imports bucket, as the accounting software would, and run the import function
    on the S3 notification; bring any error file back under ``out_dir``."""
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    results = []
    for path in exports:
        key = f"imports/{path.name}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        results.extend(functions.invoke("ImportFunction", s3_event(bucket, key))["imports"])
        functions.drain("ImportQueue", "ImportFunction", batch_size=1)  # a big export's chunks, one by one
        errors_key = key[: -len(".csv")] + ".erreurs.csv"
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=errors_key).get("Contents", [])
        if out_dir is not None and listed:
            target = out_dir / "imports" / Path(errors_key).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=errors_key)["Body"].read())
    return results


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-3",
                         "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                                "object": {"key": key, "size": 1}}}]}


class Outputs:
    """Brings what the functions produced back to files: e-mails (moto's SES captures), letters (S3)."""

    def __init__(self, stack: LocalStack, out_dir: Path | None) -> None:
        self.stack = stack
        self.out_dir = out_dir
        self.emails_seen = 0
        self.letters_seen: set[str] = set()
        self.messages: dict[str, dict[str, Any]] = {}

    def collect(self, day: date, result: DayResult) -> None:
        from email import message_from_bytes

        from moto.ses.models import ses_backends

        backend = ses_backends["123456789012"][self.stack.region]
        sent = backend.sent_messages[self.emails_seen:]
        self.emails_seen += len(sent)
        for raw in sent:
            data = raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data
            found = re.search(r"<([^@>\s]+)@", " ".join(str(message_from_bytes(data).get("Message-ID", "")).split()))
            key = found.group(1) if found else ""
            if key.startswith("digest-"):
                if path := self._write("appels", f"{key}.eml", data):
                    result.digests.append(path)
                continue
            if key.startswith("dossier-"):
                self._write("dossiers", f"{day.isoformat()}_{key[:40]}.eml", data)
                continue
            message = self.messages.get(key, {})
            name = f"{day.isoformat()}_{message.get('customer', 'client')}_{message.get('tone', '')}_{key[:8]}.eml"
            if path := self._write("emails", name, data):
                result.emails.append(path)
        s3 = self.stack.client("s3")
        bucket = self.stack.physical["DocumentsBucket"]
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="letters/").get("Contents", [])
        for obj in sorted(listed, key=lambda o: o["Key"]):
            if obj["Key"] in self.letters_seen or "/" not in obj["Key"][len("letters/"):]:
                continue
            self.letters_seen.add(obj["Key"])
            key = Path(obj["Key"]).stem
            message = self.messages.get(key, {})
            name = (f"{day.isoformat()}_{message.get('customer', 'client')}_{message.get('channel', 'letter')}"
                    f"_{key[:8]}.pdf")
            if path := self._write("courriers", name, s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()):
                result.letters.append(path)

        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="dossiers/").get("Contents", []):
            if obj["Key"] in self.letters_seen:
                continue
            self.letters_seen.add(obj["Key"])
            data = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            if path := self._write("dossiers", Path(obj["Key"]).name, data):
                result.dossiers.append(path)

    def _write(self, folder: str, name: str, data: bytes) -> Path | None:
        if self.out_dir is None:
            return None
        path = self.out_dir / folder / name.replace("/", "_")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


def run_days(stack: LocalStack, functions: LocalFunctions, start: date, end: date, outputs: Outputs,
             on_day: Callable[[DayResult], None] | None = None,
             before_day: Callable[[date], None] | None = None) -> list[DayResult]:
    days = []
    day = start
    while day <= end:
        if before_day is not None:
            before_day(day)
        days.append(run_day(stack, functions, day, outputs))
        if on_day is not None:
            on_day(days[-1])
        day += timedelta(days=1)
    return days


def run_day(stack: LocalStack, functions: LocalFunctions, day: date, outputs: Outputs | None = None) -> DayResult:
    """One day: the schedule's run, the shard jobs, then the channel functions drain their queues."""
    today = {"RELANCE_TODAY": day.isoformat()}
    functions.invoke("EvaluatorFunction", scheduled_event(day.isoformat()))
    functions.drain("EvaluationQueue", "EvaluatorFunction")
    result = DayResult(day)
    seen: list[dict[str, Any]] = []
    for queue, function in DRAIN_ORDER:
        functions.drain(queue, function, seen=seen, **today)
    functions.invoke("DigestFunction", {"run_date": day.isoformat()}, **today)
    # A message rerouted (an e-mail that could not go, sent as a letter) went out once, as what it became.
    replaced = {m["key"].removesuffix(f"-{m['channel']}") for m in seen if m.get("rerouted_from")}
    result.messages = sorted((m for m in seen if m["key"] not in replaced), key=lambda m: (m["channel"], m["customer"]))
    if outputs is not None:
        outputs.messages.update({m["key"]: m for m in seen})
        outputs.collect(day, result)
    return result


DEMO_FOLDERS = ("emails", "courriers", "appels", "dossiers", "imports")  # under out/, the demo's own


def run_demo(*, book: Book, rules_dir: Path, start: date, end: date, rerun: date | None, out_dir: Path | None,
             exports: list[Path] = (), on_day: Callable[[DayResult], None] | None = None,
             on_imports: Callable[[list[dict[str, Any]]], None] | None = None,
             payment: tuple[date, str] | None = None,
             on_payment: Callable[[dict[str, Any]], None] | None = None,
             function_env: dict[str, str] | None = None,
             portal: Callable[[Any, LocalFunctions, DynamoStore], None] | None = None,
             portal_server: Callable[..., Any] | None = None, portal_port: int = 0) -> DemoResult:
    """``portal``: serve the debtor portal during the run with ``portal_server`` (``local.portal.LocalPortal``, handed
    in: it builds on this module) — every message then carries a link — and call ``portal(local_portal, functions,
    store)`` after the last day, the stack still up."""
    if out_dir is not None:  # what an earlier run wrote would read as this run's (a dossier since merged…)
        for folder in DEMO_FOLDERS:
            shutil.rmtree(out_dir / folder, ignore_errors=True)
    with LocalStack() as stack:
        store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"],
                            int(stack.resolver.parameters["Shards"]))
        store.seed(book)
        put_demo_secrets(stack)
        with ExitStack() as cleanup:
            local_portal = None
            env = dict(function_env or {})
            if portal is not None and portal_server is not None:
                local_portal = cleanup.enter_context(portal_server(stack, port=portal_port, today=end.isoformat()))
                env.update(local_portal.env)
            functions = LocalFunctions(stack, rules_dir, env)
            if local_portal is not None:
                local_portal.attach(functions)
            result = _run(stack, store, functions, book=book, rules_dir=rules_dir, start=start, end=end, rerun=rerun,
                          out_dir=out_dir, exports=exports, on_day=on_day, on_imports=on_imports, payment=payment,
                          on_payment=on_payment)
            if portal is not None and local_portal is not None:
                portal(local_portal, functions, store)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "queued.json").write_text(json.dumps(
            {d.day.isoformat(): d.messages for d in result.days if d.messages}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
    return result


def _run(stack: LocalStack, store: DynamoStore, functions: LocalFunctions, *, book: Book, rules_dir: Path, start: date,
         end: date, rerun: date | None, out_dir: Path | None, exports: list[Path],
         on_day: Callable[[DayResult], None] | None, on_imports: Callable[[list[dict[str, Any]]], None] | None,
         payment: tuple[date, str] | None, on_payment: Callable[[dict[str, Any]], None] | None) -> DemoResult:
    payments: list[dict[str, Any]] = []

    def before_day(day: date) -> None:
        if payment is not None and day == payment[0]:
            payments.append(pay_with_stripe(functions, store, payment[1], day))
            if on_payment is not None:
                on_payment(payments[-1])

    imports = drop_exports(stack, functions, list(exports), out_dir)
    if on_imports is not None:
        on_imports(imports)
    outputs = Outputs(stack, out_dir)
    days = run_days(stack, functions, start, end, outputs, on_day, before_day)
    again = run_day(stack, functions, rerun, outputs) if rerun else None
    if out_dir is not None:
        # The weekly report function, as on the Monday after the period: out/report.html and .csv.
        functions.invoke("ReportFunction", {"on": end.isoformat()}, RELANCE_TODAY=end.isoformat())
        s3, bucket = stack.client("s3"), stack.physical["DocumentsBucket"]
        for suffix in ("html", "csv"):
            data = s3.get_object(Bucket=bucket, Key=f"reports/{end.isoformat()}.{suffix}")["Body"].read()
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"report.{suffix}").write_bytes(data)
    sqs = stack.client("sqs")
    dead = sum(int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"]["ApproximateNumberOfMessages"])
               for logical, url in stack.physical.items() if logical.endswith("DLQ"))
    return DemoResult(days, again, dead, imports, payments)
