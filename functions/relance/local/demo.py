"""`relance demo`: the daily job on the embedded local AWS, with the sample rules and data.

Starts moto's server, creates the resources of template.yaml, loads the sample invoices, then runs the
real evaluator function day by day — the schedule's invocation, then the evaluation queue drained
through the same function — and collects what each day queued per channel.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping
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
    # Queued but not gone out: cancelled (paid since the run), failed, an injonction refused (with ``outcome``).
    dropped: list[dict[str, Any]] = field(default_factory=list)
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
    statuses: list[dict[str, Any]] = field(default_factory=list)  # the PA's statuses posted, with the answers
    approvals: list[dict[str, Any]] = field(default_factory=list)  # what the account manager approved from his digest
    replies: list[dict[str, Any]] = field(default_factory=list)  # debtors' e-mail replies, InboundFunction's answers


def _approver(local_portal: Any) -> Callable[[DynamoStore, date], dict[str, Any] | None]:
    """With the portal served, the account manager approves from his digest's staff link, as in production (the
    StaffFunction through the real handler); else through ``app.approvals``, as the page would."""
    if local_portal is None:
        return approve_first_formal_notice
    return lambda store, day: local_portal.approve_by_link(day)


def approve_first_formal_notice(store: DynamoStore, day: date) -> dict[str, Any] | None:
    """The account manager, reading his digest, approves the first formal notice awaiting his approval (through
    ``app.approvals``, as his staff page will); ``None`` when none awaits. The others wait for their timeout."""
    from ..app import approvals

    waiting = sorted((r for r in store.awaiting_approvals() if r.get("channel") == "registered_letter"),
                     key=lambda r: (str(r["requested_on"]), str(r["invoice"])))
    for request in waiting:
        customer = store.customer(str(request["customer"]))
        by = customer.account_manager if customer is not None and customer.account_manager else "demo"
        decision = approvals.approve(store, str(request["invoice"]), str(request["step"]), by=by, on=day)
        if decision.done:
            return {"date": day.isoformat(), "invoice": request["invoice"], "step": request["step"], "by": by}
    return None


DEMO_SECRETS = {"/relance/stripe/webhook-secrets": "whsec_demo_local_only",
                "/relance/payments/generic-secrets": "generic_demo_local_only",
                "/relance/einvoicing/status-secrets": "einvoicing_demo_local_only",
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
    from datetime import UTC, datetime

    from ..signing import sign

    found = store.invoice(invoice_id)
    amount = found[0].amount_due if found else 0
    body = stripe_invoice_paid(invoice_id, amount, day)
    signature = sign(body, DEMO_SECRETS["/relance/stripe/webhook-secrets"], now=datetime.now(UTC))
    answer = functions.invoke("WebhookFunction", signed_http_event("/webhooks/stripe", body, "stripe-signature",
                                                                    signature))
    return {"date": day.isoformat(), "invoice": invoice_id, "amount": str(amount), "provider": "stripe",
            "status": answer["statusCode"], **json.loads(answer["body"])}


def pay_with_bank_notice(functions: LocalFunctions, store: DynamoStore, invoice_id: str, day: date,
                         payer: str = "") -> dict[str, Any]:
    """A bank line reported through the generic payment notice (payments/GENERIC_WEBHOOK.md): signed, sent to
    the real webhook function, paying what remains due on the invoice."""
    from datetime import UTC, datetime

    from ..signing import sign

    found = store.invoice(invoice_id)
    amount = found[0].amount_due if found else 0
    body = json.dumps({"id": f"bank-demo-{invoice_id}", "invoice_id": invoice_id, "amount": f"{amount:.2f}",
                       "currency": "EUR", "paid_on": day.isoformat(), "kind": "payment", "payer": payer or None},
                      ensure_ascii=False).encode()
    signature = sign(body, DEMO_SECRETS["/relance/payments/generic-secrets"], now=datetime.now(UTC))
    answer = functions.invoke("WebhookFunction", signed_http_event("/webhooks/generic", body, "relance-signature",
                                                                    signature))
    return {"date": day.isoformat(), "invoice": invoice_id, "amount": str(amount), "provider": "generic",
            "status": answer["statusCode"], **json.loads(answer["body"])}


@dataclass(frozen=True, slots=True)
class Payer:
    """How one debtor of the demo behaves: ``days`` days after a message that matches ``after`` (a step id such
    as ``relance_1``, or a channel such as ``phone`` or ``registered_letter``) reaches it, it pays what that
    message asked for — through the generic payment webhook, as its bank line would be reported."""

    after: str
    days: int

    def wakes_on(self, message: dict[str, Any]) -> bool:
        return self.after == message["channel"] or any(a["step"] == self.after for a in message["actions"])


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


DEMO_EINVOICE = "facture-F-2026-0452.xml"  # the sample's e-invoice (C003), made a Factur-X PDF at demo time
# The platform's statuses the demo posts through the signed route (a day of the run → the body).
DEMO_STATUSES = (
    (date(2026, 11, 13), {"id": "pa-demo-207-F-2026-0420", "invoice_id": "F-2026-0420", "status": "207",
                          "date": "2026-11-13", "reason": "Prestation contestée : deux chambres non livrées"}),
    (date(2026, 11, 18), {"id": "pa-demo-212-F-2026-0452", "invoice_id": "F-2026-0452", "status": "212",
                          "date": "2026-11-18", "amount": "1800.00", "currency": "EUR"}),
)


def demo_facturx() -> bytes:
    """The sample's e-invoice as a Factur-X PDF: a readable page (fpdf2) with the CII XML embedded by the
    factur-x library, which checks it against its XSD first."""
    from importlib import resources

    from facturx import generate_from_binary
    from fpdf import FPDF

    xml = resources.files("relance.sample").joinpath(DEMO_EINVOICE).read_bytes()
    page = FPDF()
    page.add_page()
    page.set_font("Helvetica", size=11)
    for line in ("Atelier Bois & Fils - 18 rue de Gerland, 69007 Lyon - SIREN 841 273 659", "",
                 "FACTURE F-2026-0452 du 30/09/2026", "Lemoine & Associes Architectes SARL (C003)",
                 "Bibliotheque sur mesure en chene : 1 500,00 EUR HT, TVA 20 % 300,00 EUR",
                 "Total TTC : 1 800,00 EUR - echeance le 30/10/2026", "Factur-X EN 16931 (XML joint)"):
        page.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(generate_from_binary(bytes(page.output()), xml, check_xsd=True))


def post_status(functions: LocalFunctions, body: dict[str, Any]) -> dict[str, Any]:
    """A platform status, signed as the PA (or its connector) signs it, through the real webhook function."""
    from datetime import UTC, datetime

    from ..signing import sign

    raw = json.dumps(body, ensure_ascii=False).encode()
    header = sign(raw, DEMO_SECRETS["/relance/einvoicing/status-secrets"], now=datetime.now(UTC))
    answer = functions.invoke("WebhookFunction", signed_http_event("/einvoicing/status", raw, "Relance-Signature",
                                                                    header))
    return {"date": body["date"], "invoice": body["invoice_id"], **json.loads(answer["body"]),
            "code": str(body["status"]), "status": answer["statusCode"]}  # status: the HTTP answer's


def drop_einvoices(stack: LocalStack, functions: LocalFunctions,
                   files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Drop e-invoices in the imports bucket and run the import function on each S3 notification."""
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    results = []
    for name, data in files:
        s3.put_object(Bucket=bucket, Key=f"imports/{name}", Body=data)
        results.extend(functions.invoke("ImportFunction", s3_event(bucket, f"imports/{name}"))["imports"])
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
            key = found.group(1).split(".")[0] if found else ""  # <key>.<reply token>@ with a reply domain
            if key.startswith("digest-"):
                if path := self._write("appels", f"{key}.eml", data):
                    result.digests.append(path)
                continue
            if key.startswith("reply-"):  # a debtor's reply, sent on to the account manager (app.replies)
                self._write("reponses", f"{day.isoformat()}_{key}.eml", data)
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
             before_day: Callable[[date], None] | None = None, store: DynamoStore | None = None) -> list[DayResult]:
    days = []
    day = start
    while day <= end:
        if before_day is not None:
            before_day(day)
        days.append(run_day(stack, functions, day, outputs, store))
        if on_day is not None:
            on_day(days[-1])
        day += timedelta(days=1)
    return days


SENT_KINDS = {"sent": "sent", "call_task": "sent", "litigation": "built", "litigation_parked": "parked"}


def outcome_of(store: DynamoStore, message: dict[str, Any], day: date) -> str:
    """What became of a queued message, from its invoices' history of the day: ``sent`` (a call task too),
    ``built`` or ``parked`` (an injonction dossier), else ``cancelled``, ``failed`` or ``refused``."""
    litigation = message["channel"] == "litigation"
    kinds = set()
    for action in message["actions"]:
        for event in store.history(action["invoice"]):
            if event.get("date") != day.isoformat():
                continue
            if litigation and event.get("kind", "").startswith("litigation"):
                kinds.add(event["kind"])
            elif not litigation and event.get("message_key") == message["key"]:
                kinds.add(event.get("kind", ""))
    for kind, outcome in SENT_KINDS.items():
        if kind in kinds:
            return outcome
    if litigation:
        return "refused"
    return "failed" if "action_failed" in kinds else "cancelled"


def run_day(stack: LocalStack, functions: LocalFunctions, day: date, outputs: Outputs | None = None,
            store: DynamoStore | None = None) -> DayResult:
    """One day: the schedule's run, the shard jobs, then the channel functions drain their queues. With the
    ``store``, each message says what became of it (``outcome``), and only those that went out are ``messages``."""
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
    if store is not None:
        for message in result.messages:
            message["outcome"] = outcome_of(store, message, day)
        result.dropped = [m for m in result.messages if m["outcome"] not in ("sent", "built", "parked")]
        result.messages = [m for m in result.messages if m["outcome"] in ("sent", "built", "parked")]
    if outputs is not None:
        outputs.messages.update({m["key"]: m for m in seen})
        outputs.collect(day, result)
    return result


DEMO_FOLDERS = ("emails", "courriers", "appels", "dossiers", "imports", "echeanciers",
                "reponses")  # under out/, the demo's own
HISTORIES = "historique.json"  # under out/: what the store holds of each invoice at the end of the run


def write_histories(store: DynamoStore, path: Path) -> None:
    """Each invoice's dates, its steps carried out (imported with it, or relance's) and its history events, as the
    store holds them at the end of the run: what every dated fact of a dossier comes from (tests/e2e reads it)."""
    invoices = {}
    for invoice in store.whole_book().invoices:
        invoices[invoice.id] = {
            "customer": invoice.customer_id, "status": invoice.status, "issue_date": invoice.issue_date,
            "due_date": invoice.due_date, "paid_on": invoice.paid_on,
            "steps": [{"step": h.step, "channel": h.channel, "date": h.date, "delivered_on": h.delivered_on}
                      for h in invoice.history],
            "payments": [{"date": p.date, "amount": p.amount} for p in invoice.payments],
            "events": store.history(invoice.id),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(invoices, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")


def run_demo(*, book: Book, rules_dir: Path, start: date, end: date, rerun: date | None, out_dir: Path | None,
             exports: list[Path] = (), on_day: Callable[[DayResult], None] | None = None,
             on_imports: Callable[[list[dict[str, Any]]], None] | None = None,
             payment: tuple[date, str] | None = None,
             on_payment: Callable[[dict[str, Any]], None] | None = None,
             function_env: dict[str, str] | None = None, payers: Mapping[str, Payer] | None = None,
             einvoices: list[tuple[str, bytes]] = (),
             statuses: tuple[tuple[date, dict[str, Any]], ...] = (),
             on_status: Callable[[dict[str, Any]], None] | None = None,
             on_approval: Callable[[dict[str, Any]], None] | None = None,
             portal: Callable[[Any, LocalFunctions, DynamoStore], None] | None = None,
             portal_server: Callable[..., Any] | None = None, portal_port: int = 0,
             reply: tuple[date, str] | None = None,
             on_reply: Callable[[dict[str, Any]], None] | None = None) -> DemoResult:
    """``payment``: (day, invoice) paid by a signed Stripe event; ``payers``: debtors (by customer id) who pay
    after a given reminder, through the generic payment webhook, on their day; ``einvoices``: e-invoice files
    dropped in the import bucket; ``statuses``: (day, body) platform statuses posted to the signed route.
    ``portal``: serve the debtor portal during the run with ``portal_server`` (``local.portal.LocalPortal``, handed
    in: it builds on this module) — every message then carries a link — and call ``portal(local_portal, functions,
    store)`` after the last day, the stack still up. ``reply``: (day, customer) — that customer answers its last
    reminder e-mail that morning (``local.reply``); the e-mails then carry reply addresses on the demo's domain."""
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
            if reply is not None:
                from .reply import DEMO_REPLY_DOMAIN

                env.setdefault("REPLY_DOMAIN", DEMO_REPLY_DOMAIN)
            if portal is not None and portal_server is not None:
                local_portal = cleanup.enter_context(portal_server(stack, port=portal_port, today=end.isoformat(),
                                                                   out_dir=out_dir))
                env.update(local_portal.env)
            functions = LocalFunctions(stack, rules_dir, env)
            if local_portal is not None:
                local_portal.attach(functions)
            result = _run(stack, store, functions, book=book, start=start, end=end, rerun=rerun,
                          out_dir=out_dir, exports=exports, on_day=on_day, on_imports=on_imports, payment=payment,
                          on_payment=on_payment, payers=payers, einvoices=einvoices, statuses=statuses,
                          on_status=on_status, on_approval=on_approval, reply=reply, on_reply=on_reply,
                          approver=_approver(local_portal))
            if portal is not None and local_portal is not None:
                portal(local_portal, functions, store)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "queued.json").write_text(json.dumps(
            {d.day.isoformat(): d.messages for d in result.days if d.messages}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
    return result


def _run(stack: LocalStack, store: DynamoStore, functions: LocalFunctions, *, book: Book, start: date,
         end: date, rerun: date | None, out_dir: Path | None, exports: list[Path],
         on_day: Callable[[DayResult], None] | None, on_imports: Callable[[list[dict[str, Any]]], None] | None,
         payment: tuple[date, str] | None, on_payment: Callable[[dict[str, Any]], None] | None,
         payers: Mapping[str, Payer] | None, einvoices: list[tuple[str, bytes]],
         statuses: tuple[tuple[date, dict[str, Any]], ...],
         on_status: Callable[[dict[str, Any]], None] | None,
         on_approval: Callable[[dict[str, Any]], None] | None = None, reply: tuple[date, str] | None = None,
         on_reply: Callable[[dict[str, Any]], None] | None = None,
         approver: Callable[[DynamoStore, date], dict[str, Any] | None] = approve_first_formal_notice) -> DemoResult:
    payments: list[dict[str, Any]] = []
    approved: list[dict[str, Any]] = []
    promised: dict[date, list[tuple[str, str]]] = {}  # day → (invoice, payer's name) a debtor pays then
    names = {c.id: c.name for c in book.customers.values()}
    posted: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = []

    def before_day(day: date) -> None:
        if reply is not None and day == reply[0] and (customer := store.customer(reply[1])) is not None:
            from ..rules.loader import load_rules_or_raise
            from .reply import send_demo_reply

            replies.append(send_demo_reply(stack, functions, customer, day, load_rules_or_raise(functions.rules_dir)))
            if on_reply is not None:
                on_reply(replies[-1])
        paying = [("stripe", payment[1], "")] if payment is not None and day == payment[0] else []
        paying += [("generic", invoice_id, name) for invoice_id, name in promised.pop(day, [])]
        for provider, invoice_id, name in paying:
            found = store.invoice(invoice_id)
            if found is None or found[0].is_settled_on(day):
                continue  # paid already (or by someone else)
            paid = (pay_with_stripe(functions, store, invoice_id, day) if provider == "stripe" else
                    pay_with_bank_notice(functions, store, invoice_id, day, name))
            payments.append(paid)
            if on_payment is not None:
                on_payment(paid)
        for when, body in statuses:
            if when == day:
                posted.append(post_status(functions, body))
                if on_status is not None:
                    on_status(posted[-1])

    def after_day(result: DayResult) -> None:
        if not approved:  # once over the run: one formal notice approved from the digest, the rest by timeout
            done = approver(store, result.day)
            if done is not None:
                approved.append(done)
                if on_approval is not None:
                    on_approval(done)
        for message in result.messages:
            payer = (payers or {}).get(message["customer"])
            if payer is not None and payer.wakes_on(message):
                promised.setdefault(result.day + timedelta(days=payer.days), []).extend(
                    (a["invoice"], names.get(message["customer"], "")) for a in message["actions"])
        if on_day is not None:
            on_day(result)

    imports = drop_exports(stack, functions, list(exports), out_dir)
    imports += drop_einvoices(stack, functions, list(einvoices))
    if on_imports is not None:
        on_imports(imports)
    outputs = Outputs(stack, out_dir)
    days = run_days(stack, functions, start, end, outputs, after_day, before_day, store)
    again = run_day(stack, functions, rerun, outputs, store) if rerun else None
    if out_dir is not None:
        # The weekly report function, as on the Monday after the period: out/report.html and .csv.
        functions.invoke("ReportFunction", {"on": end.isoformat()}, RELANCE_TODAY=end.isoformat())
        s3, bucket = stack.client("s3"), stack.physical["DocumentsBucket"]
        for suffix in ("html", "csv"):
            data = s3.get_object(Bucket=bucket, Key=f"reports/{end.isoformat()}.{suffix}")["Body"].read()
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"report.{suffix}").write_bytes(data)
        write_histories(store, out_dir / HISTORIES)
    sqs = stack.client("sqs")
    dead = sum(int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"]["ApproximateNumberOfMessages"])
               for logical, url in stack.physical.items() if logical.endswith("DLQ"))
    return DemoResult(days, again, dead, imports, payments, posted, approved, replies)
