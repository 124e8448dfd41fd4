"""Where an import lives: its bucket (the file, the chunks, the reports) and its queue (one message a chunk)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError


class ImportQueueError(RuntimeError):
    """SQS did not take every chunk: the S3 invocation fails, is retried, and queues them again."""


class S3ImportSpace:
    """:class:`relance.app.importing.ImportSpace` on S3 and SQS."""

    def __init__(self, s3: Any, bucket: str, sqs: Any = None, queue_url: str = "") -> None:
        self.s3 = s3
        self.bucket = bucket
        self.sqs = sqs
        self.queue_url = queue_url

    def get(self, key: str) -> bytes | None:
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})

    def queue_chunks(self, messages: Sequence[dict[str, Any]]) -> None:
        if not self.queue_url:
            raise ImportQueueError("missing setting IMPORT_QUEUE_URL: a big import is split through its queue")
        for start in range(0, len(messages), 10):
            batch = [{"Id": str(n), "MessageBody": json.dumps(m)}
                     for n, m in enumerate(messages[start:start + 10])]
            failed = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=batch).get("Failed") or []
            if failed:
                raise ImportQueueError(f"{len(failed)} import chunk(s) not queued: {failed[0].get('Code')}")
