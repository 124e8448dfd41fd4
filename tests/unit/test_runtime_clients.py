"""A container builds each boto3 client once: building one costs tens of milliseconds (its service model)."""

from __future__ import annotations

from relance.app import runtime as runtime_module
from relance.app.runtime import Runtime
from relance.settings import Settings


def test_each_client_is_built_once_per_container(monkeypatch):
    built: list[str] = []
    monkeypatch.setattr(runtime_module, "client", lambda service, settings: built.append(service) or object())
    rt = Runtime(Settings.from_env({"TABLE_NAME": "t"}))
    first = rt.client("sesv2")
    assert rt.client("sesv2") is first and rt.client("ssm") is rt.client("ssm")
    assert rt.dynamodb is rt.dynamodb and rt.sqs is rt.sqs
    assert sorted(built) == ["dynamodb", "sesv2", "sqs", "ssm"]


def test_the_webhook_starts_without_the_rules_pipeline():
    """The webhook reads no rules: neither the loader nor its libraries are paid for at its cold start."""
    import subprocess
    import sys

    code = ("import sys\nimport relance.handlers.webhooks\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('relance.rules.loader', 'jsonschema',"
            " 'ruamel', 'holidays', 'fpdf')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
