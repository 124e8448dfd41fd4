"""The local runner keeps a function warm between calls, as Lambda keeps a container: the rules are loaded
once, not at every invocation; a new deployment (another environment, an edited rule file) starts cold."""

from __future__ import annotations

import shutil

import pytest

from relance.local.runner import LocalFunctions, scheduled_event
from relance.rules import loader

from .conftest import SAMPLE_RULES


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    counted: list[str] = []
    real = loader.load_rules_or_raise

    def counting(directory, **kwargs):
        counted.append(str(directory))
        return real(directory, **kwargs)

    monkeypatch.setattr(loader, "load_rules_or_raise", counting)
    return counted


def test_two_invocations_of_a_warm_function_load_the_rules_once(functions, loads):
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-23"))
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-24"))
    assert len(loads) == 1
    assert functions.cold_starts == {"EvaluatorFunction": 1}


def test_an_edited_rule_file_or_another_environment_starts_a_new_container(stack, tmp_path, loads):
    rules = tmp_path / "rules"
    shutil.copytree(SAMPLE_RULES, rules)
    functions = LocalFunctions(stack, rules)
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-23"))
    (rules / "segments.yaml").write_text((rules / "segments.yaml").read_text(encoding="utf-8") + "\n# revu\n",
                                         encoding="utf-8")
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-23"))
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-23"), POWERTOOLS_LOG_LEVEL="ERROR")
    assert len(loads) == 3


def test_another_runner_does_not_inherit_a_warm_container(stack, functions, loads):
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-23"))
    LocalFunctions(stack, functions.rules_dir).invoke("EvaluatorFunction", scheduled_event("2026-11-23"))
    functions.invoke("EvaluatorFunction", scheduled_event("2026-11-23"))
    assert len(loads) == 3
