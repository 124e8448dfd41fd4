"""Cold start as Lambda pays it: a fresh interpreter imports the handler and serves its first request.

The floor is what no code of ours can avoid: boto3 and the Powertools modules the function imports. Each
figure is the best of a few fresh interpreters (the machine is shared: the best run is the least disturbed),
the function's environment resolved from template.yaml against the local stack (moto server), the request
served by the real handler as the local runner calls it. ``python -X importtime`` names the costliest imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Another checkout can be measured the same way (before/after figures): RELANCE_BENCH_ROOT=/path/to/it.
ROOT = Path(os.environ.get("RELANCE_BENCH_ROOT") or Path(__file__).resolve().parents[2])

# What each measured function imports from Powertools (its handler module's top-level imports).
POWERTOOLS = {
    "EvaluatorFunction": ("from aws_lambda_powertools import Logger, Metrics",
                          "from aws_lambda_powertools.metrics import MetricUnit",
                          "from aws_lambda_powertools.utilities.batch import BatchProcessor",
                          "from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord",
                          "from aws_lambda_powertools.utilities.typing import LambdaContext"),
    "WebhookFunction": ("from aws_lambda_powertools import Logger, Metrics",
                        "from aws_lambda_powertools.metrics import MetricUnit",
                        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver",
                        "from aws_lambda_powertools.utilities.parameters import SSMProvider",
                        "from aws_lambda_powertools.utilities.typing import LambdaContext"),
}

# The clients each function builds on its first request: the floor "with clients" builds them too.
CLIENTS = {"EvaluatorFunction": ("dynamodb", "sqs"), "WebhookFunction": ("ssm", "dynamodb")}

MARK = "@@coldstart@@"

_FIRST_REQUEST = """
import importlib, json, sys, time
MARK = sys.argv[4]
t0 = time.perf_counter()
module = importlib.import_module(sys.argv[1])
t1 = time.perf_counter()
event = json.loads(open(sys.argv[2]).read())

class Context:
    function_name = sys.argv[3]
    memory_limit_in_mb = 512
    aws_request_id = "cold-start"
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:" + sys.argv[3]
    def get_remaining_time_in_millis(self):
        return 300_000

answer = module.handler(event, Context())
t2 = time.perf_counter()
print(MARK + json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000,
                        "answer": answer if isinstance(answer, dict) else None,
                        "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


@dataclass(frozen=True)
class ColdStart:
    function: str
    floor_ms: float
    floor_clients_ms: float  # the floor, and the function's boto3 clients built
    import_ms: float
    first_ms: float
    answer: Any
    modules: tuple[str, ...]
    heaviest: tuple[tuple[str, float], ...]  # top-level packages by cumulated import time (ms), -X importtime

    @property
    def total_ms(self) -> float:
        return self.import_ms + self.first_ms

    @property
    def ratio(self) -> float:
        return self.total_ms / self.floor_ms

    @property
    def ratio_with_clients(self) -> float:
        return self.total_ms / self.floor_clients_ms


def floor_ms(function: str, runs: int = 5, *, clients: bool = False) -> float:
    """boto3 and the function's Powertools imported (and, with ``clients``, its boto3 clients built), best of
    ``runs`` fresh interpreters."""
    made = "".join(f"boto3.client({c!r}, region_name='eu-west-3', endpoint_url='http://127.0.0.1:9')\n"
                   for c in CLIENTS[function]) if clients else ""
    code = "import time; t = time.perf_counter(); import boto3\n" + "\n".join(POWERTOOLS[function]) + "\n" + \
           made + "print(f'" + MARK + "{(time.perf_counter() - t) * 1000}')"
    return min(float(_last_marked(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                 check=True, env=_clean_env()).stdout)) for _ in range(runs))


def _clean_env(extra: dict[str, str] | None = None, *, code: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env["PYTHONPATH"] = str(code or ROOT / "functions")
    return {**env, **(extra or {})}


def shipped_code() -> Path:
    """relance as functions/Makefile ships it: a copy with its bytecode, hash-checked (this interpreter's, as the
    build compiles with Lambda's). The libraries' bytecode is already in the virtual environment (pip's)."""
    import compileall
    import py_compile
    import shutil

    code = Path(tempfile.mkdtemp(prefix="relance-code-"))
    shutil.copytree(ROOT / "functions" / "relance", code / "relance", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(code, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    return code


def _last_marked(stdout: str) -> str:
    return [line for line in stdout.splitlines() if line.startswith(MARK)][-1][len(MARK):]


def _heaviest(stderr: str, shown: int = 5) -> tuple[tuple[str, float], ...]:
    """-X importtime's lines: the top-level packages that cost the most, cumulated (ms)."""
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if not cumulative.isdigit() or name.startswith(" ") or line.split("|")[2].startswith("  "):
            continue  # only the packages imported at the top of the tree: nested ones are inside their parent
        top = name.split(".")[0]
        totals[top] = totals.get(top, 0) + int(cumulative) / 1000
    return tuple(sorted(totals.items(), key=lambda kv: -kv[1])[:shown])


def first_request(env: dict[str, str], handler: str, event: dict[str, Any], function: str, runs: int = 3,
                  prepare: Any = None, code: Path | None = None,
                  ) -> tuple[float, float, Any, tuple[str, ...], tuple[tuple[str, float], ...]]:
    """(import ms, first-request ms, answer, top-level modules loaded, heaviest imports), best of ``runs``."""
    module = handler.rpartition(".")[0]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(event, f)
    try:
        best: tuple[float, float, Any, tuple[str, ...]] | None = None
        for _ in range(runs):
            if prepare is not None:
                prepare()
            out = subprocess.run([sys.executable, "-c", _FIRST_REQUEST, module, f.name, function, MARK],
                                 capture_output=True, text=True, check=True, env=_clean_env(env, code=code))
            got = json.loads(_last_marked(out.stdout))
            if best is None or got["import_ms"] + got["first_ms"] < best[0] + best[1]:
                best = (got["import_ms"], got["first_ms"], got["answer"], tuple(got["modules"]))
        if prepare is not None:
            prepare()
        traced = subprocess.run([sys.executable, "-X", "importtime", "-c", _FIRST_REQUEST, module, f.name,
                                 function, MARK], capture_output=True, text=True, check=True,
                                env=_clean_env(env, code=code))
    finally:
        os.unlink(f.name)
    assert best is not None
    return (*best, _heaviest(traced.stderr))


def measure(rules_dir: Path | None = None, runs: int = 5) -> list[ColdStart]:
    """The evaluator's first shard job and the webhook's first signed payment, each in a fresh interpreter."""
    from datetime import UTC, datetime

    from relance.adapters.dynamo import DynamoStore
    from relance.datafile import load_book
    from relance.domain.sharding import shard_of
    from relance.local.demo import DEMO_SECRETS, http_post_event, put_demo_secrets
    from relance.local.runner import sqs_event
    from relance.local.stack import LocalStack
    from relance.payments.webhooks import sign_generic

    layer = Path(tempfile.mkdtemp(prefix="relance-layer-"))
    subprocess.run(["make", "-s", "build-RulesLayer", f"ARTIFACTS_DIR={layer}", f"PYTHON={sys.executable}"],
                   cwd=ROOT, check=True, capture_output=True)  # the rules as the layer ships them
    rules_dir = rules_dir or layer / "rules"
    code = shipped_code()  # relance with its bytecode, as the functions' build ships it
    book = load_book(ROOT / "functions" / "relance" / "sample" / "data.json")
    out = []
    with LocalStack() as stack:
        store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16)
        store.seed(book)
        put_demo_secrets(stack)
        # The busiest shard: the job a container most often starts with.
        shard = Counter(shard_of(i.customer_id, 16) for i in book.invoices).most_common(1)[0][0]
        job = json.dumps({"run_date": "2026-11-23", "shard": shard})
        queue_arn = stack.resolver.attributes[("EvaluationQueue", "Arn")]
        message = {"MessageId": "cold-start", "ReceiptHandle": "cold-start", "Body": job}
        evaluator = sqs_event([message], queue_arn)

        def fresh_store() -> None:  # every run records the same day's actions anew
            stack.reset()
            DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16).seed(book)
            put_demo_secrets(stack)

        body = json.dumps({"id": "bank-cold-start", "invoice_id": book.invoices[0].id, "amount": "1.00",
                           "currency": "EUR", "paid_on": "2026-11-20", "kind": "payment"}).encode()

        def webhook_event() -> dict[str, Any]:
            signature = sign_generic(body, DEMO_SECRETS["/relance/payments/generic-secrets"], now=datetime.now(UTC))
            return http_post_event("/webhooks/generic", body, {"relance-signature": signature})

        for function, event, prepare in (("EvaluatorFunction", evaluator, fresh_store),
                                         ("WebhookFunction", webhook_event(), fresh_store)):
            env = stack.function_environment(function, rules_dir)
            floor, with_clients = floor_ms(function), floor_ms(function, clients=True)
            imported, first, answer, modules, heaviest = first_request(env, stack.handler_of(function), event,
                                                                       function, runs=runs, prepare=prepare, code=code)
            out.append(ColdStart(function, floor, with_clients, imported, first, answer, modules, heaviest))
    return out


def main() -> None:
    for row in measure():
        print(f"{row.function}: floor {row.floor_ms:.0f} ms ({row.floor_clients_ms:.0f} with its clients), import "
              f"{row.import_ms:.0f} ms + first request {row.first_ms:.0f} ms = {row.total_ms:.0f} ms, ratio "
              f"{row.ratio:.2f} ({row.ratio_with_clients:.2f}); heaviest imports: "
              + ", ".join(f"{k} {v:.0f}" for k, v in row.heaviest))
        print(f"  answer: {json.dumps(row.answer)[:200]}")
        print(f"  loaded: {', '.join(m for m in row.modules if not m.startswith('_'))}")


if __name__ == "__main__":
    main()
