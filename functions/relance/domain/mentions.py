"""The creditor's legal identity, as every letter and e-mail of a company must give it (art. R123-237 Code de
commerce): legal form and share capital, « RCS <city> » and SIREN, VAT number — in the reader's language.

The registry's own words (« RCS Lyon 841 273 659 ») stay French in every language: they are the legal
designation, the one a foreign reader will find in the registry.
"""

from __future__ import annotations

from typing import Any

from .fmt import FRENCH, capital_in, group_siren, is_french


def registration_text(company: Any) -> str:
    """« RCS Lyon 841 273 659 » when the registry's city is known, else « SIREN 841 273 659 »."""
    if not company.siren:
        return ""
    return f"RCS {company.rcs_city} {group_siren(company.siren)}" if company.rcs_city else \
        f"SIREN {group_siren(company.siren)}"


def identity_text(company: Any, language: str = FRENCH, *, with_vat: bool = True) -> str:
    """Form and capital, registration, VAT number: « SAS au capital de 50 000 € – RCS Lyon 841 273 659 – TVA
    FR08841273659 »; in English « SAS with a share capital of €50,000 – RCS Lyon 841 273 659 – VAT No.
    FR08841273659 ». ``company``: the rules' ``company`` or a letter's sender (same attributes)."""
    french = is_french(language)
    form = company.legal_form.strip()
    if form and company.share_capital:
        capital = capital_in(company.share_capital, language)
        form = f"{form} au capital de {capital}" if french else f"{form} with a share capital of {capital}"
    vat = ""
    if with_vat and company.vat_number:
        vat = f"TVA {company.vat_number}" if french else f"VAT No. {company.vat_number}"
    return " – ".join(p for p in (form, registration_text(company), vat) if p)
