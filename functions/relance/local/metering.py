"""Count AWS API calls through botocore's event hooks: the cost figures of `make bench` and the tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3


class RequestCounter:
    """Counts every API call (``before-call``) and every HTTP attempt (``before-send``, retries included)."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.attempts = 0

    def _on_call(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[(service, operation)] += 1

    def _on_send(self, **_: Any) -> None:
        self.attempts += 1

    def attach(self, events: Any) -> RequestCounter:
        events.register("before-call", self._on_call)
        events.register("before-send", self._on_send)
        return self

    def attach_default_session(self) -> RequestCounter:
        """Count the calls of every client created from now on with ``boto3.client`` (the handlers' clients)."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        return self.attach(boto3.DEFAULT_SESSION.events)

    def detach_default_session(self) -> None:
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.unregister("before-call", self._on_call)
            boto3.DEFAULT_SESSION.events.unregister("before-send", self._on_send)

    def total(self, service: str | None = None, operations: tuple[str, ...] = ()) -> int:
        return sum(n for (s, op), n in self.calls.items()
                   if (service is None or s == service) and (not operations or op in operations))

    def reset(self) -> None:
        self.calls.clear()
        self.attempts = 0
