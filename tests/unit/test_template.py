"""template.yaml: lint-clean, transforms offline, and wires what the functions expect."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from relance.local.template import load_template

from ..conftest import REPO

TEMPLATE = REPO / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(TEMPLATE)


def functions(template: dict) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def cfn_lint(path: Path) -> list[str]:
    from cfnlint.api import lint_file

    return [str(match) for match in lint_file(path)]


def test_cfn_lint_is_clean():
    assert cfn_lint(TEMPLATE) == []


def test_sam_translator_transforms_it_offline_and_the_output_lints_clean(tmp_path, monkeypatch):
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoIam:  # the translator asks IAM for managed policy ARNs only when the template names some
        def load(self):
            return {"AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    document = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    # `sam package` replaces local paths with S3 locations before the transform runs.
    assert (REPO / document["Globals"]["Function"]["CodeUri"]).is_dir()
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    output = transform(document, {}, NoIam())
    path = tmp_path / "transformed.json"
    path.write_text(json.dumps(output, default=str), encoding="utf-8")
    assert cfn_lint(path) == []
    types = {r["Type"] for r in output["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::Scheduler::Schedule", "AWS::Lambda::EventSourceMapping"} <= types


def test_every_handler_imports(template):
    for logical, spec in functions(template).items():
        module, _, attribute = spec["Properties"]["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), logical


def test_one_code_uri_for_every_function(template):
    assert template["Globals"]["Function"]["CodeUri"] == "functions/"
    assert all("CodeUri" not in f["Properties"] for f in functions(template).values())


def test_daily_schedule_at_nine_paris_time(template):
    daily = template["Resources"]["EvaluatorFunction"]["Properties"]["Events"]["Daily"]
    assert daily["Type"] == "ScheduleV2"
    assert daily["Properties"]["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert daily["Properties"]["ScheduleExpressionTimezone"] == "Europe/Paris"


def test_every_schedule_tells_its_function_the_time_it_was_meant_for(template):
    """A retry hours later (after midnight) must still run the day it was scheduled for: each schedule passes
    Scheduler's scheduled-time, and that is the day the function reads, in Paris time."""
    from datetime import UTC, date, datetime

    from relance.app.schedule import scheduled_day

    schedules = {logical: event["Properties"] for logical, spec in functions(template).items()
                 for event in spec["Properties"].get("Events", {}).values() if event["Type"] == "ScheduleV2"}
    assert set(schedules) == {"EvaluatorFunction", "DigestFunction", "ReportFunction"}
    arrived = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
    for logical, schedule in schedules.items():
        payload = json.loads(schedule["Input"].replace("<aws.scheduler.scheduled-time>", "2026-11-02T23:30:00Z"))
        assert scheduled_day(payload, "Europe/Paris", arrived) == date(2026, 11, 3), logical


def test_evaluation_queue_has_bounded_concurrency(template):
    shards = template["Resources"]["EvaluatorFunction"]["Properties"]["Events"]["Shards"]["Properties"]
    assert shards["BatchSize"] == 1 and shards["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumConcurrency" in shards["ScalingConfig"]


def test_every_queue_has_a_dead_letter_queue_with_an_alarm(template):
    resources = template["Resources"]
    queues = [k for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue" and not k.endswith("DLQ")]
    alarmed = {a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in resources.values()
               if a["Type"] == "AWS::CloudWatch::Alarm" and a["Properties"]["Namespace"] == "AWS/SQS"}
    assert queues
    for queue in queues:
        dlq = resources[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert resources[dlq]["Type"] == "AWS::SQS::Queue" and dlq in alarmed, queue


def test_buckets_are_private_and_encrypted(template):
    for name, spec in template["Resources"].items():
        if spec["Type"] != "AWS::S3::Bucket":
            continue
        block = spec["Properties"]["PublicAccessBlockConfiguration"]
        assert all(block[k] for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls",
                                      "RestrictPublicBuckets")), name
        assert spec["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"], name


def test_open_invoice_index_is_a_sharded_gsi(template):
    table = template["Resources"]["DataTable"]["Properties"]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "OpenByShard"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["open_shard", "open_due"]


def test_policies_use_sam_templates_and_no_wildcard(template):
    for logical, spec in functions(template).items():
        for policy in spec["Properties"].get("Policies", []):
            assert isinstance(policy, dict) and len(policy) == 1, logical  # a SAM template or a statement list
            if "Statement" in policy:  # least privilege: named actions, objects under a prefix, keys by prefix
                for statement in policy["Statement"]:
                    assert not any("*" in a for a in statement["Action"]), logical
                    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [
                        statement["Resource"]]
                    assert all(r != "*" and "*" not in json.dumps(r).replace("/*", "") for r in resources), logical
                continue
            assert "*" not in json.dumps(policy), logical


def test_iam_has_no_wildcard_that_aws_does_not_require(monkeypatch):
    """Every role the transform produces: no '*' action, no service-wide 'svc:*', no '*' resource except
    for the few actions AWS only grants on '*' (X-Ray, CloudWatch metrics)."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoIam:
        def load(self):
            return {"AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    document = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    output = transform(document, {}, NoIam())
    # ssm:DescribeParameters has no resource-level permission: AWS only grants it on "*".
    star_only = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData",
                 "ssm:DescribeParameters"}
    offenders = []
    for name, resource in output["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                resources = statement.get("Resource", [])
                resources = [resources] if not isinstance(resources, list) else resources
                for action in actions:
                    if action == "*" or action.endswith(":*"):
                        offenders.append((name, action))
                if "*" in resources and not set(actions) <= star_only:
                    offenders.append((name, actions, "Resource *"))
    assert offenders == []


def test_invoices_set_aside_by_the_daily_run_raise_an_alarm(template):
    alarms = [a["Properties"] for a in template["Resources"].values() if a["Type"] == "AWS::CloudWatch::Alarm"]
    (alarm,) = [a for a in alarms if a["Namespace"] == "Relance" and a["MetricName"] == "InvoicesInError"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "evaluator"}] and alarm["AlarmActions"]
