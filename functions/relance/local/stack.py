"""The embedded local AWS: moto's threaded server on 127.0.0.1, with the resources of template.yaml.

Tables, queues (with their dead-letter redrive) and buckets are created from the template itself,
not from a second hand-written list, and each function's environment is resolved from it too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import boto3

from .template import Resolver, load_template

REGION = "eu-west-3"
STACK_NAME = "relance-local"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local"}


def default_template() -> Path:
    """template.yaml of the checkout this package runs from."""
    here = Path(str(resources.files("relance"))).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").is_file():
            return parent / "template.yaml"
    raise FileNotFoundError("template.yaml not found above the relance package: run from a checkout")


@dataclass
class LocalStack:
    template_path: Path = field(default_factory=default_template)
    region: str = REGION
    stack_name: str = STACK_NAME
    endpoint_url: str = ""
    port: int = 0  # 0: a free port, another at each start
    physical: dict[str, str] = field(default_factory=dict)
    _server: Any = None
    _session: Any = None

    def __post_init__(self) -> None:
        self.template = load_template(self.template_path)
        self.resolver = Resolver(self.template, stack_name=self.stack_name, region=self.region)

    # -- server ------------------------------------------------------------------------------------
    def start(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.reset()  # moto's backends live in the process: a second stack starts from nothing too
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Empty every service and create the resources again (between tests)."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")).read()
        self.physical.clear()
        self.provision()

    def client(self, service: str) -> Any:
        """A client of the harness's own session: its calls are not counted as the functions' calls."""
        if self._session is None:
            self._session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                                  aws_session_token="local", region_name=self.region)
        return self._session.client(service, endpoint_url=self.endpoint_url)

    # -- resources ---------------------------------------------------------------------------------
    def provision(self) -> None:
        resources_ = self.template["Resources"]
        order = {"AWS::SQS::Queue": 0, "AWS::DynamoDB::Table": 1, "AWS::S3::Bucket": 2,
                 "AWS::SES::ConfigurationSet": 3, "AWS::SES::EmailIdentity": 4}
        # Dead-letter queues first: a queue's redrive policy points at its DLQ's ARN.
        queues = sorted((k for k, v in resources_.items() if v["Type"] == "AWS::SQS::Queue"),
                        key=lambda k: "RedrivePolicy" in resources_[k].get("Properties", {}))
        others = sorted((k for k, v in resources_.items() if v["Type"] in order and v["Type"] != "AWS::SQS::Queue"),
                        key=lambda k: order[resources_[k]["Type"]])
        for logical in [*queues, *others]:
            spec = resources_[logical]
            properties = self.resolver.resolve(spec.get("Properties", {}))
            getattr(self, "_" + "_".join(spec["Type"].split("::")[1:]).lower())(logical, properties)

    def _physical_name(self, logical: str) -> str:
        return f"{self.stack_name}-{logical}"

    def _ses_configurationset(self, logical: str, properties: dict[str, Any]) -> None:
        name = properties.get("Name") or self._physical_name(logical)
        self.client("sesv2").create_configuration_set(ConfigurationSetName=name)
        self.physical[logical] = name
        self.resolver.refs[logical] = name

    def _ses_emailidentity(self, logical: str, properties: dict[str, Any]) -> None:
        identity = properties["EmailIdentity"]
        self.client("sesv2").create_email_identity(EmailIdentity=identity)
        self.physical[logical] = identity
        self.resolver.refs[logical] = identity

    def _sqs_queue(self, logical: str, properties: dict[str, Any]) -> None:
        attributes = {k: str(properties[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod")
                      if k in properties}
        if "RedrivePolicy" in properties:
            attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
        name = properties.get("QueueName") or self._physical_name(logical)
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.physical[logical] = url
        self.resolver.refs[logical] = url
        self.resolver.attributes[(logical, "Arn")] = f"arn:aws:sqs:{self.region}:123456789012:{name}"
        self.resolver.attributes[(logical, "QueueName")] = name
        self.resolver.attributes[(logical, "QueueUrl")] = url

    def _dynamodb_table(self, logical: str, properties: dict[str, Any]) -> None:
        name = properties.get("TableName") or self._physical_name(logical)
        args: dict[str, Any] = {"TableName": name, "KeySchema": properties["KeySchema"],
                                "AttributeDefinitions": properties["AttributeDefinitions"],
                                "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST")}
        if properties.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
        self.client("dynamodb").create_table(**args)
        self.physical[logical] = name
        self.resolver.refs[logical] = name
        self.resolver.attributes[(logical, "Arn")] = f"arn:aws:dynamodb:{self.region}:123456789012:table/{name}"

    def _s3_bucket(self, logical: str, properties: dict[str, Any]) -> None:
        name = properties.get("BucketName") or self._physical_name(logical).lower()
        self.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        self.physical[logical] = name
        self.resolver.refs[logical] = name
        self.resolver.attributes[(logical, "Arn")] = f"arn:aws:s3:::{name}"

    # -- functions ---------------------------------------------------------------------------------
    def function_environment(self, logical: str, rules_dir: Path | None = None) -> dict[str, str]:
        """The environment the template gives a function, resolved against the local resources."""
        globals_ = self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        own = self.template["Resources"][logical]["Properties"].get("Environment", {}).get("Variables", {})
        env = {k: str(v) for k, v in self.resolver.resolve({**globals_, **own}).items()}
        # moto's DynamoDB transactions copy the table and are not thread-safe: one at a time locally.
        env.update(CREDENTIALS, AWS_ENDPOINT_URL=self.endpoint_url, AWS_REGION=self.region,
                   AWS_DEFAULT_REGION=self.region, POWERTOOLS_METRICS_DISABLED="true", RECORD_WORKERS="1",
                   POWERTOOLS_LOG_LEVEL="WARNING")
        if rules_dir is not None:
            env["RULES_DIR"] = str(rules_dir)
        return env

    def handler_of(self, logical: str) -> str:
        return self.template["Resources"][logical]["Properties"]["Handler"]

    @contextmanager
    def environment(self, logical: str, rules_dir: Path | None = None, **overrides: str) -> Iterator[dict[str, str]]:
        """Run code as the function would: its environment set, restored afterwards."""
        env = {**self.function_environment(logical, rules_dir), **overrides}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
