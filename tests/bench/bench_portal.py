"""The debtor portal's figures: its handler's import and first request in a fresh interpreter (a cold start, the
runtime built: settings, rules, SSM, DynamoDB), and a page's server time once warm. Figures, not tests."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import bench_coldstart

ROOT = bench_coldstart.ROOT
PORTAL_URL = "http://127.0.0.1:8765"


def measure_rows(runs: int = 5, pages: int = 30) -> list[tuple[str, str]]:
    import subprocess
    import sys
    import tempfile
    from datetime import UTC, datetime

    from relance.adapters.dynamo import DynamoStore
    from relance.app.portal import Links, keys_from_secret
    from relance.datafile import load_book
    from relance.local.portal import PORTAL_SECRETS, http_event
    from relance.local.runner import LocalFunctions
    from relance.local.stack import LocalStack
    from relance.rules.loader import load_rules

    layer = Path(tempfile.mkdtemp(prefix="relance-layer-"))
    subprocess.run(["make", "-s", "build-RulesLayer", f"ARTIFACTS_DIR={layer}", f"PYTHON={sys.executable}"],
                   cwd=ROOT, check=True, capture_output=True)  # the rules as the layer ships them (checked once)
    rules_dir = layer / "rules"
    rules = load_rules(rules_dir).rules
    book = load_book(ROOT / "functions" / "relance" / "sample" / "data.json")
    customer = max(book.customers, key=lambda c: sum(1 for i in book.invoices if i.customer_id == c))
    with LocalStack() as stack:
        store = DynamoStore(stack.client("dynamodb"), stack.physical["DataTable"], 16)
        store.seed(book)
        ssm = stack.client("ssm")
        for name, value in PORTAL_SECRETS.items():
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        links = Links(keys=keys_from_secret(PORTAL_SECRETS["/relance/portal/link-keys"]), base_url=PORTAL_URL,
                      store=store, now=lambda: datetime.now(UTC))
        path = links.mint(customer, "email", rules).url.removeprefix(PORTAL_URL)
        event = http_event("GET", path, {})
        env = {**stack.function_environment("PortalFunction", rules_dir), "PORTAL_URL": PORTAL_URL,
               "RELANCE_TODAY": "2026-11-23"}
        imported, first, answer, _, heaviest = bench_coldstart.first_request(
            env, stack.handler_of("PortalFunction"), event, "PortalFunction", runs=runs)
        status = (answer or {}).get("statusCode")
        functions = LocalFunctions(stack, rules_dir, {"PORTAL_URL": PORTAL_URL, "RELANCE_TODAY": "2026-11-23"})
        functions.invoke("PortalFunction", event)  # warm
        times = []
        for _ in range(pages):
            start = time.perf_counter()
            functions.invoke("PortalFunction", event)
            times.append((time.perf_counter() - start) * 1000)
        invoices = sum(1 for i in book.invoices if i.customer_id == customer and i.amount_due > 0)
    heavy = ", ".join(f"{name} {ms:.0f}" for name, ms in heaviest[:3])
    return [
        ("cold start, portal: import + first page",
         f"{imported + first:.0f} ms = {imported:.0f} + {first:.0f} ms (answer {status}; heaviest imports: {heavy})"),
        (f"portal page, warm: {invoices} open invoices, one customer",
         f"median {statistics.median(times):.0f} ms, best {min(times):.0f} ms over {pages} pages (moto's speed)"),
    ]


def main(args: Any = None) -> None:
    for name, value in measure_rows():
        print(f"{name:<62}  {value}")


if __name__ == "__main__":
    main()
