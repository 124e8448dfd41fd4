"""Requests and invocations to import a 100 000-row export, counted, not timed (`make bench`).

The real code paths (csv parsing, ``app.importing``, ``DynamoStore``, ``S3ImportSpace``) run against
in-memory clients that answer at once and count every call by operation: the figures are exactly the
requests the functions would send to AWS, without moto's speed in the way. One S3 invocation parses the file
and queues the chunks; each queued chunk is one worker invocation (the event source's BatchSize is 1).
"""

from __future__ import annotations

import io
import json
import math
import time
from collections import Counter
from typing import Any

from relance.adapters.dynamo import DynamoStore, customer_item
from relance.adapters.importspace import S3ImportSpace
from relance.app.importing import import_chunk, prepare, split_import
from relance.domain.model import Customer
from relance.imports.chunks import CHUNK_ROWS

ROWS = 100_000
CUSTOMERS = 2_000


class CountingClient:
    """A boto3 client's methods, answered from memory; ``calls`` counts them by operation name."""

    def __init__(self, answer: Any) -> None:
        self.calls: Counter[str] = Counter()
        self._answer = answer

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            self.calls[operation] += 1
            return self._answer(operation, params)
        return call


def fake_dynamodb() -> CountingClient:
    progress: dict[str, dict[str, Any]] = {}

    def answer(operation: str, params: dict[str, Any]) -> Any:
        if operation == "batch_get_item":
            (table, request), = params["RequestItems"].items()
            found = [customer_item(Customer(id=k["pk"]["S"][5:], name="Client", kind="business"), 16)
                     for k in request["Keys"] if k["pk"]["S"].startswith("CUST#")]
            return {"Responses": {table: found}}  # no invoice yet: the first import of the book
        if operation == "put_item":
            progress[params["Item"]["pk"]["S"]] = dict(params["Item"])
            return {}
        if operation == "update_item" and params["Key"]["pk"]["S"].startswith("IMPORT#"):
            item = progress[params["Key"]["pk"]["S"]]
            values = params["ExpressionAttributeValues"]
            for name, key in (("chunks_done", ":one"), ("rows_done", ":rows")):
                item[name] = {"N": str(int(item[name]["N"]) + int(values[key]["N"]))}
            return {"Attributes": item}
        return {}
    return CountingClient(answer)


def fake_s3() -> CountingClient:
    objects: dict[str, bytes] = {}

    def answer(operation: str, params: dict[str, Any]) -> Any:
        if operation == "put_object":
            objects[params["Key"]] = params["Body"]
            return {}
        if operation == "get_object":
            return {"Body": io.BytesIO(objects[params["Key"]])}
        return {}
    client = CountingClient(answer)
    client.objects = objects  # type: ignore[attr-defined]
    return client


def fake_sqs(messages: list[dict[str, Any]]) -> CountingClient:
    def answer(operation: str, params: dict[str, Any]) -> Any:
        messages.extend(json.loads(e["MessageBody"]) for e in params["Entries"])
        return {"Successful": [{"Id": e["Id"]} for e in params["Entries"]]}
    return CountingClient(answer)


def export(rows: int) -> bytes:
    lines = ["N° facture;Code client;Date facture;Échéance;Montant TTC;Reste à payer;Bon de commande"]
    lines += [f"F-{n:06d};C{n % CUSTOMERS};05/10/2026;04/11/2026;{100 + n % 900},50;{100 + n % 900},50;BC-{n}"
              for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def measure(rows: int = ROWS) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    dynamodb, s3, sqs = fake_dynamodb(), fake_s3(), fake_sqs(messages)
    store = DynamoStore(dynamodb, "relance", 16)
    space = S3ImportSpace(s3, "imports", sqs, "import-queue")
    s3.objects["imports/factures.csv"] = export(rows)  # type: ignore[attr-defined]
    per_invocation: list[int] = []

    def requests() -> int:
        return sum(dynamodb.calls.values()) + sum(s3.calls.values()) + sum(sqs.calls.values())

    start = time.process_time()
    prepared = prepare(space.get("imports/factures.csv") or b"", store)
    split_import(prepared, "imports/factures.csv", "bench", store, space, chunk_rows=CHUNK_ROWS)
    split_cpu = time.process_time() - start
    per_invocation.append(requests())
    final = None
    for message in messages:
        before = requests()
        final = import_chunk(message, store, space) or final
        per_invocation.append(requests() - before)
    assert final is not None and final["imported"] == rows, final
    return {"rows": rows, "invocations": 1 + len(messages), "chunks": len(messages),
            "requests": requests(), "dynamodb": dict(dynamodb.calls), "s3": dict(s3.calls), "sqs": dict(sqs.calls),
            "most_in_one_invocation": max(per_invocation), "split_cpu_s": split_cpu}


def measure_rows() -> list[tuple[str, str, str]]:
    m = measure()
    assert m["chunks"] == math.ceil(ROWS / CHUNK_ROWS)
    ops = ", ".join(f"{op} {n}" for op, n in sorted({**m["dynamodb"], **m["s3"], **m["sqs"]}.items()))
    return [
        (f"import {ROWS:,} rows: invocations".replace(",", " "),
         f"{m['invocations']} (1 split + {m['chunks']} chunks of {CHUNK_ROWS}); before: 1, {ROWS} requests in a row",
         "each < 300 s"),
        (f"import {ROWS:,} rows: AWS requests".replace(",", " "),
         f"{m['requests']} in all, at most {m['most_in_one_invocation']} in one invocation (16 in flight)", "—"),
        ("  of which", ops, ""),
        (f"import {ROWS:,} rows: parse + check + split (CPU)".replace(",", " "), f"{m['split_cpu_s']:.1f} s",
         "< 300 s"),
    ]


if __name__ == "__main__":
    for row in measure_rows():
        print(*row, sep="  |  ")
