"""The clients relance builds read a trimmed copy of botocore's endpoints and list only relance's services
(``adapters.botodata``): a third of the time of building them at a cold start. Built that way, a client must
be the very client botocore builds — same endpoint, region, signature, operations — in every partition."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import botocore.session
import pytest

import relance
from relance.adapters import botodata

REGIONS = ("eu-west-3", "us-east-1", "cn-north-1", "us-gov-west-1")


def _client(service: str, region: str, *, ours: bool):
    core = botocore.session.get_session()
    if ours:
        core.register_component("data_loader", botodata.Loader())
    return boto3.Session(botocore_session=core, aws_access_key_id="k", aws_secret_access_key="s").client(
        service, region_name=region)


def test_the_shipped_endpoints_are_the_installed_botocore_s_for_relance_s_services():
    """Fails when botocore is upgraded and its endpoints changed: run ``make botocore-data``."""
    shipped = json.loads(botodata.ENDPOINTS.read_text(encoding="utf-8"))

    assert shipped == botodata.trimmed_endpoints()
    assert {s for p in shipped["partitions"] for s in p["services"]} == botodata.endpoint_prefixes()
    assert botodata.ENDPOINTS.stat().st_size < 100_000  # botocore's own: 1.2 MB


@pytest.mark.parametrize("service", sorted(botodata.SERVICES))
def test_a_client_built_from_the_trimmed_data_is_botocore_s_own(service):
    for region in REGIONS:
        ours, theirs = _client(service, region, ours=True), _client(service, region, ours=False)

        assert ours.meta.endpoint_url == theirs.meta.endpoint_url
        assert ours.meta.region_name == theirs.meta.region_name
        assert ours.meta.service_model.signing_name == theirs.meta.service_model.signing_name
        assert ours.meta.config.signature_version == theirs.meta.config.signature_version
        assert ours.meta.partition == theirs.meta.partition
        assert ours.meta.service_model.operation_names == theirs.meta.service_model.operation_names


def test_only_relance_s_services_are_listed_and_another_one_still_works():
    loader = botodata.Loader()

    assert loader.list_available_services("service-2") == sorted(botodata.SERVICES)
    assert _client("sts", "eu-west-3", ours=True).meta.endpoint_url == "https://sts.eu-west-3.amazonaws.com"
    assert _client("sts", "eu-west-3", ours=True).meta.service_model.service_name == "sts"


def test_every_client_relance_builds_is_one_of_the_listed_services():
    package = Path(relance.__file__).parent
    named = {m for path in package.rglob("*.py")
             for m in re.findall(r"""\bclient\(\s*["']([a-z0-9-]+)["']""", path.read_text(encoding="utf-8"))}

    assert {"dynamodb", "sqs"} <= named  # the pattern still finds the calls
    assert named <= botodata.SERVICES
