"""A big export goes through the import queue in chunks: counted invocations and requests, on a small file.

The same arithmetic gives the 100 000-row figures of `make bench` (tests/bench/bench_import.py).
"""

from __future__ import annotations

import json
import math

from relance.local.demo import s3_event
from relance.local.metering import RequestCounter

from .test_import import CUSTOMERS, s3_text

ROWS, CHUNK = 230, 50


def export(rows: int) -> bytes:
    lines = ["N° facture;Code client;Date facture;Échéance;Montant TTC"]
    lines += [f"F-{n:05d};C{1 + n % 2};05/10/2026;04/11/2026;{100 + n},00" for n in range(rows)]
    lines.append("F-BAD;C1;31/02/2026;04/11/2026;10,00")  # one bad row: reported at the end
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_big_export_is_merged_in_chunks_one_invocation_each(stack, functions, store):
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    env = {"IMPORT_CHUNK_ROWS": str(CHUNK)}
    for name, data in (("clients.csv", CUSTOMERS), ("factures.csv", export(ROWS))):
        s3.put_object(Bucket=bucket, Key=f"imports/{name}", Body=data)
    functions.invoke("ImportFunction", s3_event(bucket, "imports/clients.csv"), **env)
    functions.cold()  # the counted calls start a new container: the counter sees the clients it builds
    counter = RequestCounter().attach_default_session()
    try:
        (started,) = functions.invoke("ImportFunction", s3_event(bucket, "imports/factures.csv"), **env)["imports"]
        progress = json.loads(s3_text(stack, "imports/factures.rapport.json"))
        drained = functions.drain("ImportQueue", "ImportFunction", batch_size=1, **env)
    finally:
        counter.detach_default_session()

    chunks = math.ceil(ROWS / CHUNK)
    assert started["status"] == progress["status"] == "en cours"
    assert progress["progress"] == {"chunks_done": 0, "chunks": chunks, "rows_done": 0, "rows_to_write": ROWS}
    assert drained == {"delivered": chunks, "failed": 0}  # one message, one invocation, per chunk
    final = json.loads(s3_text(stack, "imports/factures.rapport.json"))
    assert final["status"] == "terminé" and final["imported"] == final["created"] == ROWS
    assert final["progress"] == {"chunks_done": chunks, "chunks": chunks, "rows_done": ROWS, "rows_to_write": ROWS}
    assert final["rejected_rows"] == 1 and "F-BAD" not in str(final)
    assert "31/02/2026" in s3_text(stack, "imports/factures.erreurs.csv")
    assert store.invoice("F-00229")[0].amount == 329
    # Requests: one guarded UpdateItem per new row, one consistent BatchGetItem per 100 rows of a chunk,
    # and a handful per chunk (its object, its result, its count) — never one request per row beyond the write.
    dynamodb = {op: n for (service, op), n in counter.calls.items() if service == "dynamodb"}
    assert dynamodb["UpdateItem"] == ROWS + chunks  # the rows, then each chunk counted once
    assert dynamodb["BatchGetItem"] == 1 + chunks  # the customers once, then each chunk's invoices
    assert counter.total("sqs", ("SendMessageBatch",)) == math.ceil(chunks / 10)
    assert not list(s3.list_objects_v2(Bucket=bucket, Prefix="import-lots/").get("Contents", []))


def test_a_chunk_delivered_twice_is_counted_once(stack, functions, store):
    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    env = {"IMPORT_CHUNK_ROWS": str(CHUNK)}
    s3.put_object(Bucket=bucket, Key="imports/clients.csv", Body=CUSTOMERS)
    s3.put_object(Bucket=bucket, Key="imports/factures.csv", Body=export(120))
    functions.invoke("ImportFunction", s3_event(bucket, "imports/clients.csv"), **env)
    functions.invoke("ImportFunction", s3_event(bucket, "imports/factures.csv"), **env)
    sqs = stack.client("sqs")
    url = stack.physical["ImportQueue"]
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
    sqs.send_message(QueueUrl=url, MessageBody=first["Body"])  # SQS's at-least-once: the same chunk again
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    assert functions.drain("ImportQueue", "ImportFunction", batch_size=1, **env) == {"delivered": 4, "failed": 0}
    final = json.loads(s3_text(stack, "imports/factures.rapport.json"))
    assert final["status"] == "terminé" and final["progress"]["rows_done"] == 120 and final["imported"] == 120


def test_a_last_chunk_that_died_before_its_report_writes_it_when_delivered_again(stack, functions, store,
                                                                                 monkeypatch):
    from relance.app import importing

    s3 = stack.client("s3")
    bucket = stack.physical["ImportsBucket"]
    env = {"IMPORT_CHUNK_ROWS": str(CHUNK)}
    s3.put_object(Bucket=bucket, Key="imports/clients.csv", Body=CUSTOMERS)
    s3.put_object(Bucket=bucket, Key="imports/factures.csv", Body=export(120))
    functions.invoke("ImportFunction", s3_event(bucket, "imports/clients.csv"), **env)
    functions.invoke("ImportFunction", s3_event(bucket, "imports/factures.csv"), **env)
    real = importing.write_report
    crashed = []

    def dies_once(space, key, summary, errors):
        if summary.get("status") == "terminé" and not crashed:
            crashed.append(key)
            raise ConnectionError("the function's container died here")
        real(space, key, summary, errors)

    monkeypatch.setattr(importing, "write_report", dies_once)
    drained = functions.drain("ImportQueue", "ImportFunction", batch_size=1, **env)
    assert crashed and drained == {"delivered": 3, "failed": 1}  # the last chunk failed once, then finished
    final = json.loads(s3_text(stack, "imports/factures.rapport.json"))
    assert final["status"] == "terminé" and final["progress"]["rows_done"] == 120
