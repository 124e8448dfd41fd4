"""The import function's resources in template.yaml: its queue, its failure paths, its least privilege."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

TEMPLATE = Path(__file__).parents[2] / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: {
    f"!{suffix}": loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
    else loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else loader.construct_scalar(node)})


@pytest.fixture(scope="module")
def resources() -> dict:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_Loader)["Resources"]


def test_chunks_come_one_per_invocation_with_partial_batch_failures(resources):
    chunks = resources["ImportFunction"]["Properties"]["Events"]["Chunks"]["Properties"]
    assert chunks["Queue"] == {"!GetAtt": "ImportQueue.Arn"}
    assert chunks["BatchSize"] == 1 and chunks["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    redrive = resources["ImportQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"!GetAtt": "ImportDLQ.Arn"}


def test_the_s3_invocation_has_an_on_failure_destination_and_the_function_an_errors_alarm(resources):
    config = resources["ImportFunction"]["Properties"]["EventInvokeConfig"]
    assert config["DestinationConfig"]["OnFailure"] == {"Type": "SQS",
                                                        "Destination": {"!GetAtt": "ImportFailedDLQ.Arn"}}
    alarm = resources["ImportErrorsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"!Ref": "ImportFunction"}}]
    for dlq in ("ImportDLQ", "ImportFailedDLQ"):
        assert resources[f"{dlq}Alarm"]["Properties"]["Dimensions"][0]["Value"] == {"!GetAtt": f"{dlq}.QueueName"}


def test_the_import_may_only_read_and_merge(resources):
    policies = resources["ImportFunction"]["Properties"]["Policies"]
    assert not any("DynamoDBCrudPolicy" in p for p in policies)
    actions = {a for p in policies for s in p["Statement"] for a in s["Action"]}
    assert actions == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem",
                       "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "sqs:SendMessage"}
