"""boto3 clients built from the settings: the local embedded AWS when ``AWS_ENDPOINT_URL`` is set."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from ..settings import Settings
from .botodata import Loader

# Standard retry mode backs off on throttling; the SQS redelivery is the outer retry.
_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=20,
                 max_pool_connections=32)


# Sending is not idempotent: botocore retrying a SendEmail whose answer timed out could send it twice. The
# SES adapter retries what SES certainly refused and reports a lost answer (ses.SesSender).
_SINGLE_ATTEMPT = _CONFIG.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"}))
_NOT_IDEMPOTENT = frozenset({"sesv2"})


def client(service: str, settings: Settings) -> Any:
    config = _SINGLE_ATTEMPT if service in _NOT_IDEMPOTENT else _CONFIG
    return _session().client(service, region_name=settings.region, endpoint_url=settings.endpoint_url,
                             config=config)


def _session() -> boto3.Session:
    """boto3's default session (what the request counters of ``local.metering`` listen to), reading botocore's
    data through ``botodata.Loader``: a third of the time it takes to build the first clients (cold start)."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    core = session._session  # the botocore session: boto3 gives no other way to it
    if not getattr(core, "_relance_loader", False):
        core.register_component("data_loader", Loader())
        core._relance_loader = True
    return session
