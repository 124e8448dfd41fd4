"""The text a reader sees in the demo's outputs, to compare before and after a change that must not alter it.

    python -m tests.support.doctext extract OUT_DIR TEXT_DIR   # OUT_DIR: what `relance demo --out` wrote
    python -m tests.support.doctext synthetic TEXT_DIR         # the unit tests' hand-made dossiers
    python -m tests.support.doctext compare BEFORE_DIR AFTER_DIR

One text file per document: e-mails (subject, plain text and the HTML part as text), letters, the PDFs of
each dossier ZIP (requête, décompte, chronology, exhibits) and its text files (filing guide, pieces to attach),
the call digests and the report page. PDFs are read with pypdf, page by page. ``compare`` prints a unified
diff per document and the names present on one side only; it exits 1 when anything differs.
"""

from __future__ import annotations

import difflib
import io
import re
import sys
import zipfile
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(f"--- page {n}/{len(reader.pages)} ---\n{page.extract_text()}"
                     for n, page in enumerate(reader.pages, 1))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.hidden += 1
        if tag in ("p", "div", "br", "tr", "li", "h1", "h2", "h3", "section", "table", "td", "th", "title"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def email_text(data: bytes) -> str:
    message = message_from_bytes(data, policy=policy.default)
    out = [f"From: {message['From']}", f"To: {message['To']}", f"Subject: {message['Subject']}"]
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain":
            out += ["--- text ---", part.get_content()]
        elif kind == "text/html":
            out += ["--- html ---", html_text(part.get_content())]
        elif kind == "application/pdf":
            out += [f"--- attachment {part.get_filename()} ---", pdf_text(part.get_payload(decode=True))]
    return "\n".join(out)


# A presigned link changes with each run (the local server's port, the signing time): compare its path only.
_PRESIGNED = re.compile(r"https?://[^/\s]+(/[^?\s]+)\?[^\s]*X-Amz-Signature=[0-9a-f]+")


def texts(out_dir: Path) -> dict[str, str]:
    """Every document under ``out_dir``, by a name that does not depend on the run."""
    found: dict[str, str] = {}
    for path in sorted(out_dir.rglob("*")):
        name = str(path.relative_to(out_dir))
        if path.suffix == ".eml":
            found[name] = _PRESIGNED.sub(r"<presigned \1>", email_text(path.read_bytes()))
        elif path.suffix == ".pdf":
            found[name] = pdf_text(path.read_bytes())
        elif path.suffix == ".html":
            found[name] = html_text(path.read_text(encoding="utf-8"))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in sorted(archive.namelist()):
                    data = archive.read(member)
                    if member.endswith(".pdf"):
                        found[f"{name}/{member}"] = pdf_text(data)
                    elif member.endswith(".txt"):
                        found[f"{name}/{member}"] = data.decode("utf-8")
    return found


def extract(out_dir: Path, text_dir: Path) -> None:
    text_dir.mkdir(parents=True, exist_ok=True)
    for name, text in texts(out_dir).items():
        target = text_dir / (re.sub(r"[/\\]", "__", name) + ".txt")
        target.write_text(text + "\n", encoding="utf-8")


def synthetic(text_dir: Path) -> None:
    """The dossier variants the demo does not reach (consumer, small claims, CGV rate, a place with an article, no
    signatory, payments, warnings, two invoices), built from the unit tests' facts."""
    import dataclasses

    from relance.litigation.documents import render_chronologie, render_decompte, render_requete
    from tests.unit import test_dossier_pdf as t

    chronology = (*t.CHRONOLOGY, {"date": "2025-06-12", "kind": "payment", "channel": "bank", "amount": "2000.00"},
                  {"date": "2025-06-14", "kind": "dispute", "channel": "people", "note": "Conteste la qualité"},
                  {"date": "2025-06-15", "kind": "call_made", "channel": "phone"})
    second = t.LetterLine("F-2025-0058", t.date(2025, 3, 1), t.date(2025, 3, 31), t.Decimal("850.00"),
                          t.Decimal("850.00"))
    cases = {
        "business": t.business(), "consumer": t.consumer(), "cgv": t.business(cgv_rate="15"),
        "havre": t.business(court={"type": "tribunal_de_commerce", "city": "Le Havre",
                                   "name": "tribunal des activités économiques du Havre"}, place="Le Havre"),
        "unnamed-court": t.business(court={"type": "tribunal_de_commerce", "city": None, "name": None}),
        "no-signatory": t.business(creditor=dataclasses.replace(t.CREDITOR, signatory="")),
        "history": t.business(chronology=chronology),
        "two-invoices": t.business(invoices=(t.INVOICE, second), chronology=tuple(
            {**e, "invoice": inv} for e in t.CHRONOLOGY for inv in ("F-2025-0042", "F-2025-0058"))),
    }
    cases |= getattr(t, "DOCTEXT_CASES", {})
    text_dir.mkdir(parents=True, exist_ok=True)
    for name, facts in cases.items():
        for kind, render in (("requete", render_requete), ("decompte", render_decompte),
                             ("chronologie", render_chronologie)):
            (text_dir / f"synthetic__{name}__{kind}.txt").write_text(pdf_text(render(facts)) + "\n",
                                                                     encoding="utf-8")


def compare(before: Path, after: Path) -> int:
    old = {p.name: p for p in before.glob("*.txt")}
    new = {p.name: p for p in after.glob("*.txt")}
    differs = 0
    for name in sorted(old.keys() - new.keys()):
        print(f"only before: {name}")
        differs += 1
    for name in sorted(new.keys() - old.keys()):
        print(f"only after: {name}")
        differs += 1
    for name in sorted(old.keys() & new.keys()):
        a = old[name].read_text(encoding="utf-8").splitlines()
        b = new[name].read_text(encoding="utf-8").splitlines()
        if a != b:
            differs += 1
            sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(a, b, f"before/{name}", f"after/{name}",
                                                                               lineterm="", n=1))
    print(f"{len(old.keys() | new.keys())} documents, {differs} differ")
    return 1 if differs else 0


if __name__ == "__main__":
    command, first, second = (*sys.argv[1:4], "")[:3]
    if command == "extract":
        extract(Path(first), Path(second))
    elif command == "synthetic":
        synthetic(Path(first))
    else:
        raise SystemExit(compare(Path(first), Path(second)))
