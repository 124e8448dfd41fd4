"""The part of botocore's data a relance function reads when it builds its clients, made small.

Building a boto3 client costs botocore most of its time in two reads it makes once per container: the
list of every service it ships (a directory listing per service, some 400 of them, to check the name asked
for exists) and ``endpoints.json``, the endpoints of every service in every region (1.2 MB of JSON, parsed
whole). ``Loader`` lists only the services relance uses (``SERVICES``) and reads first, from this folder, an
``endpoints.json`` holding only theirs — every partition and region kept, each service's entry exactly
botocore's. The service models, rule sets and retry settings are still the runtime's own botocore's: nothing
else is shipped, so they cannot disagree with the code that reads them. A service outside ``SERVICES`` still
works, at botocore's usual cost.

``endpoints.json`` is generated, never edited: ``make botocore-data`` (``python -m relance.adapters.botodata``)
writes it from the installed botocore, and a test fails when it no longer matches (botocore upgraded).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.loaders import Loader as _BotocoreLoader

HERE = Path(__file__).parent
ENDPOINTS = HERE / "endpoints.json"
# Every service a relance function builds a client for (adapters.aws.client; a test greps the calls).
SERVICES = frozenset({"dynamodb", "s3", "sesv2", "sqs", "ssm"})


class Loader(_BotocoreLoader):
    """botocore's loader, this folder first in its search path, listing only ``SERVICES`` while only those
    are asked for."""

    def __init__(self) -> None:
        super().__init__(extra_search_paths=[str(HERE)])
        self._only_ours = True

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if service_name not in SERVICES:
            self._only_ours = False  # list them all, as botocore does: the name is checked against them
        return super().load_service_model(service_name, type_name, api_version)

    def list_available_services(self, type_name: str) -> list[str]:
        if self._only_ours:
            return sorted(SERVICES)
        return super().list_available_services(type_name)


def endpoint_prefixes(loader: _BotocoreLoader | None = None) -> set[str]:
    """The names ``endpoints.json`` knows ``SERVICES`` by (SESv2's is ``email``)."""
    loader = loader or _BotocoreLoader()
    return {loader.load_service_model(s, "service-2")["metadata"]["endpointPrefix"] for s in SERVICES}


def trimmed_endpoints() -> dict[str, Any]:
    """The installed botocore's ``endpoints.json`` with only the services of ``SERVICES``."""
    loader = _BotocoreLoader(include_default_search_paths=True)
    full = loader.load_data("endpoints")
    keep = endpoint_prefixes(loader)
    return {**full, "partitions": [{**p, "services": {k: v for k, v in p["services"].items() if k in keep}}
                                   for p in full["partitions"]]}


def write() -> None:
    ENDPOINTS.write_text(json.dumps(trimmed_endpoints(), indent=1, sort_keys=True) + "\n", encoding="utf-8")

