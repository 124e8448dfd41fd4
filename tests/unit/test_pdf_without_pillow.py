"""Pillow stays out of the package: fpdf2 draws our letters and dossiers (text, lines, TrueType fonts) without
it. Rendered with Pillow impossible to import, a letter and a dossier's documents carry the same text."""

from __future__ import annotations

import json
import subprocess
import sys

from relance.letters.pdf import render_letter_pdf
from relance.litigation.documents import render_chronologie, render_decompte, render_requete

from ..conftest import REPO
from .test_dossier_pdf import business
from .test_dossier_pdf import pages_text as dossier_pages
from .test_letter_pdf import letter, pages_text

WITHOUT_PILLOW = """
import json, sys, warnings
sys.modules["PIL"] = None  # `import PIL` raises ImportError, as in a package without Pillow
warnings.simplefilter("ignore")  # fpdf2 says once that it cannot add images: we add none
from relance.letters.pdf import render_letter_pdf
from relance.litigation.documents import render_chronologie, render_decompte, render_requete
from tests.unit.test_dossier_pdf import business, pages_text as dossier_pages
from tests.unit.test_letter_pdf import letter, pages_text
print(json.dumps({"pil": any(n == "PIL" or n.startswith("PIL.") for n, m in sys.modules.items() if m),
                  "letter": pages_text(render_letter_pdf(letter())),
                  "dossier": [dossier_pages(r(business())) for r in (render_requete, render_decompte,
                                                                       render_chronologie)]}))
"""


def test_letters_and_dossiers_render_the_same_text_without_pillow():
    out = subprocess.run([sys.executable, "-c", WITHOUT_PILLOW], capture_output=True, text=True, check=True,
                         cwd=REPO)
    got = json.loads(out.stdout)
    assert got["pil"] is False
    assert got["letter"] == pages_text(render_letter_pdf(letter()))
    assert got["dossier"] == [dossier_pages(r(business())) for r in (render_requete, render_decompte,
                                                                    render_chronologie)]
