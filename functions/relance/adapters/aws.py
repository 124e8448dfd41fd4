"""boto3 clients built from the settings: the local embedded AWS when ``AWS_ENDPOINT_URL`` is set."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from ..settings import Settings

# Standard retry mode backs off on throttling; the SQS redelivery is the outer retry.
_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=20,
                 max_pool_connections=32)


def client(service: str, settings: Settings) -> Any:
    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url, config=_CONFIG)
