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


def test_policies_use_sam_templates_or_statements_without_wildcard_actions(template):
    """A '*' may only narrow (a key prefix, an object prefix): never an action, never a whole resource."""
    for logical, spec in functions(template).items():
        for policy in spec["Properties"].get("Policies", []):
            assert isinstance(policy, dict) and len(policy) == 1, logical  # a SAM policy template or a Statement
            if "Statement" not in policy:
                assert "*" not in json.dumps(policy), logical
                continue
            for statement in policy["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert all("*" not in action for action in actions), logical
                assert statement["Resource"] != "*", logical


@pytest.fixture(scope="module")
def transformed() -> dict:
    """The template as CloudFormation receives it after the SAM transform (run offline)."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoIam:
        def load(self):
            return {"AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
        document = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
        document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
        for resource in document["Resources"].values():
            if resource["Type"] == "AWS::Serverless::LayerVersion":
                resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
        return transform(document, {}, NoIam())


def of_type(document: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in document["Resources"].items() if v["Type"] == kind}


def statements_of(transformed: dict, function: str) -> list[dict]:
    role = transformed["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    out = []
    for policy in transformed["Resources"][role]["Properties"].get("Policies", []):
        out.extend(policy["PolicyDocument"]["Statement"])
    return out


def actions_of(statement: dict) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_iam_has_no_wildcard_that_aws_does_not_require(transformed):
    """Every role the transform produces: no '*' action, no service-wide 'svc:*', no '*' resource except
    for the few actions AWS only grants on '*' (X-Ray, CloudWatch metrics)."""
    output = transformed
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


UNTIL_THE_IMPORT_MERGE: set[str] = set()  # was {"ImportFunction"} while its rework lived on another branch


def test_every_function_has_an_errors_alarm(transformed):
    alarmed = {a["Properties"]["Dimensions"][0]["Value"]["Ref"]
               for a in of_type(transformed, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("Namespace") == "AWS/Lambda" and a["Properties"]["MetricName"] == "Errors"
               and a["Properties"]["Dimensions"][0]["Name"] == "FunctionName"
               and a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]}
    lambdas = set(of_type(transformed, "AWS::Lambda::Function"))
    assert lambdas and lambdas - alarmed == UNTIL_THE_IMPORT_MERGE


def test_every_asynchronous_invocation_has_an_on_failure_destination(transformed):
    """S3 notifications, SNS subscriptions and schedules invoke asynchronously: after Lambda's retries the event
    goes to a queue (a destination), and a schedule that cannot invoke keeps it in its dead-letter queue."""
    async_principals = {"s3.amazonaws.com", "sns.amazonaws.com"}
    invoked = {p["Properties"]["FunctionName"]["Ref"] for p in of_type(transformed, "AWS::Lambda::Permission").values()
               if p["Properties"]["Principal"] in async_principals}
    schedules = of_type(transformed, "AWS::Scheduler::Schedule")
    invoked |= {s["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0] for s in schedules.values()}
    assert len(invoked) >= 5
    destinations = {c["Properties"]["FunctionName"]["Ref"]: c["Properties"].get("DestinationConfig", {})
                    for c in of_type(transformed, "AWS::Lambda::EventInvokeConfig").values()}
    queues = of_type(transformed, "AWS::SQS::Queue")
    missing = set()
    for function in invoked:
        on_failure = destinations.get(function, {}).get("OnFailure", {}).get("Destination", {})
        if on_failure.get("Fn::GetAtt", [""])[0] not in queues:
            missing.add(function)
    assert missing == UNTIL_THE_IMPORT_MERGE
    for name, schedule in schedules.items():
        assert schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in queues, name


def test_buckets_refuse_plain_http(transformed):
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
                for p in of_type(transformed, "AWS::S3::BucketPolicy").values()}
    buckets = of_type(transformed, "AWS::S3::Bucket")
    assert buckets
    for bucket in buckets:
        denies = [s for s in policies.get(bucket, []) if s["Effect"] == "Deny" and s["Principal"] == "*"
                  and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                  and s["Action"] in ("s3:*", ["s3:*"])]
        assert denies, bucket
        resources = json.dumps(denies[0]["Resource"])
        assert f'"{bucket}.Arn"' in resources or f'["{bucket}", "Arn"]' in resources, bucket
        assert "/*" in resources, bucket  # the objects, not only the bucket


def test_the_http_api_writes_access_logs(template):
    resources = template["Resources"]
    apis = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::HttpApi"}
    assert apis
    for name, api in apis.items():
        settings = api["Properties"]["AccessLogSettings"]
        group = settings["DestinationArn"]["Fn::GetAtt"][0]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup", name
        assert "$context.requestId" in settings["Format"] and "$context.status" in settings["Format"], name


def internet_facing(template: dict) -> set[str]:
    return {logical for logical, spec in functions(template).items()
            if any(e["Type"] in ("HttpApi", "Api") for e in spec["Properties"].get("Events", {}).values())}


# What lets a function erase or dump the table: never granted to a function the internet can call.
DESTRUCTIVE = {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:PartiQLDelete",
               "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:RestoreTableFromBackup"}


def test_internet_facing_functions_cannot_delete_or_scan(template, transformed):
    facing = internet_facing(template)
    assert {"WebhookFunction", "PostalStatusFunction"} <= facing
    for function in facing:
        for statement in statements_of(transformed, function):
            actions = set(actions_of(statement))
            assert not actions & DESTRUCTIVE, (function, actions & DESTRUCTIVE)
            assert not any(a.startswith("s3:") and a not in ("s3:PutObject", "s3:GetObject") for a in actions), \
                (function, actions)
            if any(a.startswith("dynamodb:") for a in actions):
                # Only the keys it works on: the partitions its code reads and writes.
                assert statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], function


def test_no_function_may_verify_ses_identities(transformed):
    for function in of_type(transformed, "AWS::Lambda::Function"):
        for statement in statements_of(transformed, function):
            assert "ses:VerifyEmailIdentity" not in actions_of(statement), function


def test_functions_get_only_the_dynamodb_actions_their_code_calls(template, transformed):
    """The DynamoDB actions of the internet-facing functions, from the calls their code paths make."""
    import ast

    from ..conftest import REPO as root

    modules = sorted((root / "functions/relance/adapters/dynamo").glob("*.py"))
    calls: dict[str, set[str]] = {}
    for node in (n for m in modules for n in ast.walk(ast.parse(m.read_text(encoding="utf-8")))):
        if isinstance(node, ast.FunctionDef):
            calls[node.name] = {c.func.attr for c in ast.walk(node) if isinstance(c, ast.Call)
                                and isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Attribute)
                                and c.func.value.attr == "client"}
            calls[node.name] |= {f"self.{c.func.attr}" for c in ast.walk(node) if isinstance(c, ast.Call)
                                 and isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
                                 and c.func.value.id == "self"}

    def operations(method: str, seen: frozenset = frozenset()) -> set[str]:
        out = set()
        for call in calls.get(method, set()) - seen:
            out |= operations(call[5:], seen | {call}) if call.startswith("self.") else {call}
        return out

    api = {"get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem", "query": "Query",
           "batch_write_item": "BatchWriteItem", "delete_item": "DeleteItem", "scan": "Scan",
           "batch_get_item": "BatchGetItem", "transact_write_items": "PutItem"}  # its Puts and Updates
    entry_points = {"WebhookFunction": ["apply_payment"],
                    "PostalStatusFunction": ["letter", "letter_by_reference", "keep_letter", "mark_postal_status_once",
                                             "message_actions", "record_delivery"]}
    for function, methods in entry_points.items():
        # (append_events writes one PutItem per event on these functions: DynamoStore(batch_writes=False))
        needed = {f"dynamodb:{api[op]}" for method in methods for op in operations(method)}
        if any("transact_write_items" in operations(m) for m in methods):
            needed.add("dynamodb:UpdateItem")
        granted = {a for s in statements_of(transformed, function) for a in actions_of(s) if a.startswith("dynamodb:")}
        assert needed <= granted, (function, needed - granted)
        assert granted <= needed | {"dynamodb:PutItem"}, (function, granted - needed)


# -- the PDF libraries go only to the functions that draw PDFs, without Pillow -----------------------------------

# The digest attaches the PDF of a letter awaiting the account manager's approval (app.approval_digest).
PDF_FUNCTIONS = {"LetterFunction", "LitigationFunction", "DigestFunction"}


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_name_of(line))
    return names


def _name_of(requirement: str) -> str:
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower().replace("_", "-")


def test_only_the_functions_that_draw_pdfs_get_the_pdf_layer(template, transformed):
    layer = template["Resources"]["PdfLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion" and layer["Metadata"]["BuildMethod"] == "makefile"
    with_pdf = {name for name, f in functions(template).items()
                if {"Ref": "PdfLayer"} in f["Properties"].get("Layers", [])}
    assert with_pdf == PDF_FUNCTIONS
    # SAM adds a function's own layers to the rules layer of Globals: they get both, the others the rules only
    for name, function in of_type(transformed, "AWS::Lambda::Function").items():
        layers = function["Properties"]["Layers"]
        assert {"Ref": "RulesLayer"} in [_layer_ref(x) for x in layers], name
        assert ({"Ref": "PdfLayer"} in [_layer_ref(x) for x in layers]) == (name in PDF_FUNCTIONS), name


# -- Babel goes only to the functions that write messages, its locale data pruned to the templates' languages ------

RENDER_FUNCTIONS = {"EmailFunction", "LetterFunction", "PhoneFunction", "DigestFunction", "LitigationFunction"}


def test_only_the_functions_that_write_messages_get_babel(template):
    layer = template["Resources"]["RenderLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion" and layer["Metadata"]["BuildMethod"] == "makefile"
    with_babel = {name for name, f in functions(template).items()
                  if {"Ref": "RenderLayer"} in f["Properties"].get("Layers", [])}
    assert with_babel == RENDER_FUNCTIONS
    assert "babel" not in _requirement_names(REPO / "functions" / "requirements.txt")
    assert "babel" in _requirement_names(REPO / "layers" / "render" / "requirements.txt")
    # every module that may import babel (lazily, for a foreign debtor) is only reached from those functions
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "build-RenderLayer:" in makefile and "layers/render/prune.py" in makefile


def test_the_render_layer_keeps_the_locales_of_the_templates_languages_only(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("prune", REPO / "layers" / "render" / "prune.py")
    prune = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prune)
    data = tmp_path / "python" / "babel" / "locale-data"
    data.mkdir(parents=True)
    for stem in ("root", "fr", "fr_BE", "en", "en_GB", "de", "de_AT", "ja"):
        (data / f"{stem}.dat").write_bytes(b"x")
    templates = tmp_path / "templates" / "email"
    templates.mkdir(parents=True)
    (templates / "courtois.fr.j2").write_text("x")
    (templates / "courtois.de.j2").write_text("x")
    assert prune.prune(tmp_path, tmp_path / "templates") == 1
    assert sorted(p.stem for p in data.glob("*.dat")) == ["de", "de_AT", "en", "en_GB", "fr", "fr_BE", "root"]
    # the shipped templates: French and English
    assert prune.template_languages(REPO / "rules" / "templates") == {"fr", "en"}


def _layer_ref(layer: object) -> object:
    """SAM names a layer version by its logical id followed by a content hash."""
    if isinstance(layer, dict) and isinstance(layer.get("Ref"), str):
        for logical in ("RulesLayer", "PdfLayer", "RenderLayer"):
            if layer["Ref"].startswith(logical):
                return {"Ref": logical}
    return layer


def test_the_shared_package_has_no_pdf_library_and_the_pdf_layer_no_pillow():
    from importlib.metadata import requires

    shared = _requirement_names(REPO / "functions" / "requirements.txt")
    assert not shared & {"fpdf2", "pillow", "pypdf", "fonttools"}
    layer = _requirement_names(REPO / "layers" / "pdf" / "requirements.txt")
    assert "pillow" not in layer
    # the layer is installed without dependencies: it lists every other requirement of fpdf2 itself
    needed = {_name_of(r) for r in requires("fpdf2") or [] if "extra ==" not in r}
    assert needed - {"pillow"} <= layer and "fpdf2" in layer


def test_the_functions_without_the_pdf_layer_start_without_fpdf(template):
    import subprocess
    import sys

    modules = sorted({f["Properties"]["Handler"].rpartition(".")[0] for name, f in functions(template).items()
                      if name not in PDF_FUNCTIONS})
    code = "import sys\nsys.modules['fpdf'] = None\n" + "".join(f"import {m}\n" for m in modules)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=REPO)
