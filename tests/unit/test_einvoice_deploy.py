"""The e-invoice libraries (factur-x, lxml, pypdf) ship to the import function only, and no handler loads them
at its cold start: the import function pays for them when a PDF or an XML arrives, not for a CSV."""

from __future__ import annotations

import subprocess
import sys

from relance.local.template import load_template

from ..conftest import REPO


def _functions() -> dict[str, dict]:
    template = load_template(REPO / "template.yaml")
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def test_only_the_import_function_gets_the_einvoice_layer():
    with_layer = {name for name, f in _functions().items()
                  if {"Ref": "EInvoiceLayer"} in f["Properties"].get("Layers", [])}
    assert with_layer == {"ImportFunction"}
    layer = (REPO / "layers" / "einvoice" / "requirements.txt").read_text(encoding="utf-8")
    assert {"factur-x", "lxml", "pypdf"} <= {line.split(">")[0].strip() for line in layer.splitlines()
                                           if line and not line.startswith("#")}


def test_the_import_function_reacts_to_pdf_and_xml_drops_as_well_as_csv():
    events = _functions()["ImportFunction"]["Properties"]["Events"]
    suffixes = {rule["Value"] for e in events.values() if e["Type"] == "S3"
                for rule in e["Properties"]["Filter"]["S3Key"]["Rules"] if rule["Name"] == "suffix"}
    assert suffixes == {".csv", ".pdf", ".xml"}


def test_no_handler_imports_the_einvoice_libraries_at_cold_start():
    modules = sorted({f["Properties"]["Handler"].rpartition(".")[0] for f in _functions().values()})
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(' '.join(sorted(m for m in ('facturx', 'lxml', 'pypdf') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO / "functions"), "AWS_DEFAULT_REGION": "eu-west-3"})
    assert out.stdout.strip() == ""
