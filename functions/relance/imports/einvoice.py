"""E-invoices (EN 16931): a Factur-X PDF, or a CII or UBL 2.1 XML, read into one customer and one invoice.

What is read (EN 16931 business terms):

==========================  ===================================================  ====================================
relance                     CII (Factur-X, ZUGFeRD 2)                            UBL 2.1
==========================  ===================================================  ====================================
invoice id         BT-1     rsm:ExchangedDocument/ram:ID                         cbc:ID
issue date         BT-2     ram:IssueDateTime/udt:DateTimeString (format 102)    cbc:IssueDate
due date           BT-9     ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime   cbc:DueDate
payment terms      BT-20    ram:SpecifiedTradePaymentTerms/ram:Description       cac:PaymentTerms/cbc:Note
amount             BT-112   ram:GrandTotalAmount                                 cbc:TaxInclusiveAmount
amount due         BT-115   ram:DuePayableAmount                                 cbc:PayableAmount
currency           BT-5     ram:InvoiceCurrencyCode                              cbc:DocumentCurrencyCode
customer id        BT-46    ram:BuyerTradeParty/ram:ID (else the SIREN)          cac:PartyIdentification/cbc:ID
customer name      BT-44    ram:BuyerTradeParty/ram:Name                         cac:PartyLegalEntity/RegistrationName
SIREN              BT-47    ram:SpecifiedLegalOrganization/ram:ID (0002; SIRET   cac:PartyLegalEntity/cbc:CompanyID
                            0009 gives its first 9 digits)
address            BG-8     ram:PostalTradeAddress                               cac:PostalAddress
e-mail             BT-58    ram:DefinedTradeContact/ram:EmailURIUniversal…       cac:Contact/cbc:ElectronicMail
seller's IBAN      BT-84    ram:PayeePartyCreditorFinancialAccount/ram:IBANID    cac:PayeeFinancialAccount/cbc:ID
==========================  ===================================================  ====================================

The due date: BT-9 when the invoice has one (it is optional), else the payment terms when they say « N jours »
(« fin de mois » understood), else the legal default between professionals — 30 days after the issue date
(Code de commerce L441-10 I) — and the import report says which.

Hostile input: the XML is parsed with entities never resolved, no network, no DTD and no huge tree; a
document that declares a DOCTYPE is refused outright (no e-invoice standard uses one). The PDF's attachment is
read with pypdf and parsed the same way (factur-x's own extraction parses it with lxml's default parser
before we could harden it, so we take the bytes ourselves and use the library for the level and the XSD it
ships). Size limits are checked before anything is parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from io import BytesIO
from types import MappingProxyType
from typing import Any

from ..domain.model import Address, Customer, Invoice
from .parsed import ImportFileError, ParsedFile, RowError

MAX_PDF_BYTES = 20 * 1024 * 1024  # an invoice with its annexes; a bigger file is refused before it is read
MAX_XML_BYTES = 5 * 1024 * 1024  # the XML alone, also when it comes out of a PDF
DEFAULT_TERMS_DAYS = 30  # Code de commerce L441-10 I: « à défaut de convention, trente jours »
XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")  # what a Factur-X / ZUGFeRD PDF attaches

CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
       "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
       "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
UBL = {"inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
       "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
       "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
       "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
EINVOICES = "einvoices"  # the ParsedFile kind of an e-invoice: one customer and one invoice
CREDIT_NOTE_TYPES = ("381", "261", "262", "396", "532")  # UNTDID 1001: credit notes, nothing to collect


@dataclass(frozen=True, slots=True)
class EInvoice:
    """What an e-invoice says, before it becomes our customer and invoice."""

    syntax: str  # "Factur-X", "CII", "UBL"
    level: str  # the profile: minimum, basicwl, basic, en16931, extended…; "" for UBL
    invoice: Invoice
    customer: Customer
    warnings: tuple[str, ...]  # French: how the due date was found, what was left out
    embedded_xml: bytes  # the XML read (from the PDF for a Factur-X)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",") + "\u00a0Mo"


def hardened_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes) -> Any:
    """The root element; ``ImportFileError`` (French) for anything not a plain, entity-free XML document."""
    from lxml import etree

    if len(data) > MAX_XML_BYTES:
        raise ImportFileError(f"XML trop volumineux ({_mb(len(data))} ; {_mb(MAX_XML_BYTES)} au plus pour une "
                              "facture électronique)")
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", data[:65536], re.IGNORECASE):
        raise ImportFileError("le XML déclare un DOCTYPE ou des entités : refusé (aucune facture électronique n’en "
                              "contient ; c’est la marque d’un fichier piégé)")
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as err:
        raise ImportFileError(f"XML illisible ({err.msg}, ligne {err.lineno})") from None
    if root is None:
        raise ImportFileError("XML vide")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ImportFileError("le XML déclare un DOCTYPE ou des entités : refusé (aucune facture électronique n’en "
                              "contient ; c’est la marque d’un fichier piégé)")
    return root


def xml_from_pdf(data: bytes) -> bytes:
    """The Factur-X / ZUGFeRD XML attached to a PDF, or ``ImportFileError`` saying what is wrong."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(data) > MAX_PDF_BYTES:
        raise ImportFileError(f"PDF trop volumineux ({_mb(len(data))} ; {_mb(MAX_PDF_BYTES)} au plus pour une "
                              "facture électronique)")
    try:
        attachments = PdfReader(BytesIO(data)).attachments
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as err:
        raise ImportFileError(f"PDF illisible ({type(err).__name__})") from None
    by_name = {name.lower(): contents for name, contents in attachments.items() if contents}
    for name in XML_NAMES:
        if name in by_name:
            return bytes(by_name[name][0])
    if not by_name:
        raise ImportFileError("ce PDF ne contient pas de XML Factur-X : ce n’est pas une facture électronique "
                              "(un PDF simple s’importe par l’export CSV de la facture)")
    raise ImportFileError("ce PDF ne contient pas de fichier factur-x.xml (pièces jointes : "
                          f"{', '.join(sorted(by_name))[:200]})")


@lru_cache(maxsize=16)
def _schema(relative: str) -> Any:
    from importlib import resources

    from lxml import etree

    path = resources.files("facturx").joinpath(relative)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser=parser))


def validate(root: Any) -> tuple[str, str]:
    """(flavor, level) once the document is valid against the XSD factur-x ships; ``ImportFileError`` else."""
    import facturx.facturx as fx  # heavy (requests, pypdf): the importer only

    try:
        flavor = fx.get_flavor(root)
    except Exception:
        raise ImportFileError(f"ni une facture CII (Factur-X) ni une facture UBL : élément racine « "
                              f"{_local(root.tag)} »") from None
    if flavor not in ("factur-x", "ubl-2.1-invoice", "ubl-2.1-creditnote"):
        raise ImportFileError(f"format {flavor} non pris en charge (Factur-X/CII ou UBL 2.1 attendus)")
    if flavor == "ubl-2.1-creditnote":
        raise ImportFileError("c’est un avoir (CreditNote UBL) : rien à relancer")
    level = ""
    if flavor == "factur-x":
        try:
            level = fx.get_level(root, flavor)
        except Exception:
            raise ImportFileError("profil Factur-X absent ou inconnu (BT-24, GuidelineSpecifiedDocumentContext"
                                  "Parameter)") from None
        xsd = fx.FACTURX_LEVEL2xsd.get(level)
        if xsd is None:
            raise ImportFileError(f"profil Factur-X « {level} » inconnu")
    else:
        xsd = fx.UBL_21_xsd[flavor]
    schema = _schema(f"xsd_and_schematron/{xsd}")
    if not schema.validate(root):
        first = schema.error_log[0] if schema.error_log else None
        where = f" (ligne {first.line} : {first.message[:300]})" if first is not None else ""
        profile = f"Factur-X {level.upper()}" if flavor == "factur-x" else "UBL 2.1"
        raise ImportFileError(f"facture non conforme au schéma {profile}{where}")
    return flavor, level


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


class _Reader:
    def __init__(self, root: Any, ns: dict[str, str]) -> None:
        self.root, self.ns = root, ns

    def all(self, path: str, at: Any = None) -> list[Any]:
        return list((self.root if at is None else at).xpath(path, namespaces=self.ns))

    def text(self, path: str, at: Any = None) -> str:
        found = self.all(path, at)
        if not found:
            return ""
        value = found[0] if isinstance(found[0], str) else found[0].text
        return " ".join((value or "").split())


def _amount(text: str, term: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ImportFileError(f"montant illisible « {text[:40]} » ({term})") from None
    if not value.is_finite():
        raise ImportFileError(f"montant illisible « {text[:40]} » ({term})")
    return value.quantize(Decimal("0.01"))


def _date(text: str, term: str, *, compact: bool) -> date:
    try:
        if compact:
            return date(int(text[0:4]), int(text[4:6]), int(text[6:8])) if re.fullmatch(r"\d{8}", text) else \
                date.fromisoformat(text)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ImportFileError(f"date illisible « {text[:40]} » ({term})") from None


_TERMS = re.compile(r"(\d{1,3})\s*(?:jours?|j\b|days?)(\s*(?:fin\s+de\s+mois|fdm|end\s+of\s+month|eom))?",
                    re.IGNORECASE)
_NET = re.compile(r"\bnet\s*(\d{1,3})\b", re.IGNORECASE)


def _end_of_month(day: date) -> date:
    following = day.replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def due_from_terms(issued: date, terms: str) -> date | None:
    """« 30 jours net » → issue + 30 days; « 45 jours fin de mois » → issue + 45 days, then the month's end."""
    found = _TERMS.search(terms)
    if found:
        due = issued + timedelta(days=int(found.group(1)))
        return _end_of_month(due) if found.group(2) else due
    net = _NET.search(terms)
    return issued + timedelta(days=int(net.group(1))) if net else None


def _siren(scheme: str, value: str) -> str:
    digits = re.sub(r"\s", "", value)
    if scheme in ("0002", "") and re.fullmatch(r"\d{9}", digits):
        return digits
    if scheme == "0009" and re.fullmatch(r"\d{14}", digits):
        return digits[:9]
    return ""


def _due(issued: date, due_text: str, terms: str, *, compact: bool, warnings: list[str]) -> date:
    if due_text:
        return _date(due_text, "BT-9, date d’échéance", compact=compact)
    from_terms = due_from_terms(issued, terms) if terms else None
    if from_terms is not None:
        warnings.append(f"pas de date d’échéance (BT-9) : échéance du {from_terms:%d/%m/%Y} tirée des conditions "
                        f"de paiement « {terms[:80]} »")
        return from_terms
    default = issued + timedelta(days=DEFAULT_TERMS_DAYS)
    warnings.append(f"pas de date d’échéance (BT-9) ni de délai lisible dans les conditions de paiement : échéance "
                    f"du {default:%d/%m/%Y}, {DEFAULT_TERMS_DAYS} jours après l’émission (délai légal à défaut de "
                    "convention, art. L441-10 du Code de commerce)")
    return default


def _finish(syntax: str, level: str, *, number: str, issued: date, due: date, total: Decimal, payable: Decimal,
            currency: str, buyer_id: str, siren: str, name: str, address: Address, email: str, iban: str,
            type_code: str, warnings: list[str], xml: bytes) -> EInvoice:
    if type_code in CREDIT_NOTE_TYPES:
        raise ImportFileError(f"c’est un avoir (type de facture {type_code}) : rien à relancer")
    if not number:
        raise ImportFileError("numéro de facture absent (BT-1)")
    if not name:
        raise ImportFileError("nom de l’acheteur absent (BT-44)")
    customer_id = buyer_id or siren
    if not customer_id:
        raise ImportFileError("acheteur sans identifiant (BT-46) ni SIREN (BT-47) : impossible de le rattacher à "
                              "un client")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ImportFileError(f"devise « {currency[:10]} » invalide (BT-5)")
    extra: dict[str, str] = {"einvoice": f"{syntax} {level}".strip()}
    if iban:
        extra["seller_iban"] = iban
    invoice = Invoice(id=number, customer_id=customer_id, issue_date=issued, due_date=due, amount=total,
                      amount_due=max(payable, Decimal(0)), currency=currency, extra=MappingProxyType(extra))
    customer = Customer(customer_id, name, "business", email=email, siren=siren, address=address)  # B2B only
    return EInvoice(syntax, level, invoice, customer, tuple(warnings), xml)


def _read_cii(root: Any, syntax: str, level: str, xml: bytes) -> EInvoice:
    r = _Reader(root, CII)
    doc = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/"
    trade = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/"
    settlement = trade + "ram:ApplicableHeaderTradeSettlement/"
    buyer = trade + "ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/"
    sums = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    warnings: list[str] = []
    issued = _date(r.text(doc + "ram:IssueDateTime/udt:DateTimeString"), "BT-2, date d’émission", compact=True)
    due = _due(issued, r.text(settlement + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"),
               r.text(settlement + "ram:SpecifiedTradePaymentTerms/ram:Description"), compact=True, warnings=warnings)
    legal = r.all(buyer + "ram:SpecifiedLegalOrganization/ram:ID")
    siren = _siren(legal[0].get("schemeID", ""), legal[0].text or "") if legal else ""
    place = buyer + "ram:PostalTradeAddress/"
    address = Address(line1=r.text(place + "ram:LineOne"),
                      line2=" ".join(filter(None, (r.text(place + "ram:LineTwo"), r.text(place + "ram:LineThree")))),
                      postal_code=r.text(place + "ram:PostcodeCode"), city=r.text(place + "ram:CityName"),
                      country=r.text(place + "ram:CountryID") or "FR")
    total = r.text(sums + "ram:GrandTotalAmount")
    payable = r.text(sums + "ram:DuePayableAmount")
    if not payable:
        raise ImportFileError("montant à payer absent (BT-115, DuePayableAmount)")
    return _finish(syntax, level, number=r.text(doc + "ram:ID"), issued=issued, due=due,
                   total=_amount(total or payable, "BT-112, total TTC"), payable=_amount(payable, "BT-115"),
                   currency=r.text(settlement + "ram:InvoiceCurrencyCode").upper(),
                   buyer_id=r.text(buyer + "ram:ID"), siren=siren, name=r.text(buyer + "ram:Name"), address=address,
                   email=r.text(buyer + "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
                   iban=r.text(settlement + "ram:SpecifiedTradeSettlementPaymentMeans/"
                               "ram:PayeePartyCreditorFinancialAccount/ram:IBANID").replace(" ", ""),
                   type_code=r.text(doc + "ram:TypeCode"), warnings=warnings, xml=xml)


def _read_ubl(root: Any, xml: bytes) -> EInvoice:
    r = _Reader(root, UBL)
    top = "/inv:Invoice/"
    party = top + "cac:AccountingCustomerParty/cac:Party/"
    warnings: list[str] = []
    issued = _date(r.text(top + "cbc:IssueDate"), "BT-2, date d’émission", compact=False)
    due = _due(issued, r.text(top + "cbc:DueDate"), r.text(top + "cac:PaymentTerms/cbc:Note"), compact=False,
               warnings=warnings)
    legal = r.all(party + "cac:PartyLegalEntity/cbc:CompanyID")
    siren = _siren(legal[0].get("schemeID", ""), legal[0].text or "") if legal else ""
    ids = r.all(party + "cac:PartyIdentification/cbc:ID")
    buyer_id = next((" ".join((i.text or "").split()) for i in ids if not i.get("schemeID")), "")
    if not siren:
        siren = next((s for i in ids if (s := _siren(i.get("schemeID", ""), i.text or ""))), "")
    place = party + "cac:PostalAddress/"
    address = Address(line1=r.text(place + "cbc:StreetName"), line2=r.text(place + "cbc:AdditionalStreetName"),
                      postal_code=r.text(place + "cbc:PostalZone"), city=r.text(place + "cbc:CityName"),
                      country=r.text(place + "cac:Country/cbc:IdentificationCode") or "FR")
    sums = top + "cac:LegalMonetaryTotal/"
    payable = r.text(sums + "cbc:PayableAmount")
    total = r.text(sums + "cbc:TaxInclusiveAmount")
    return _finish("UBL", "", number=r.text(top + "cbc:ID"), issued=issued, due=due,
                   total=_amount(total or payable, "BT-112, total TTC"), payable=_amount(payable, "BT-115"),
                   currency=r.text(top + "cbc:DocumentCurrencyCode").upper(), buyer_id=buyer_id, siren=siren,
                   name=r.text(party + "cac:PartyLegalEntity/cbc:RegistrationName")
                   or r.text(party + "cac:PartyName/cbc:Name"), address=address,
                   email=r.text(party + "cac:Contact/cbc:ElectronicMail"),
                   iban=r.text(top + "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID").replace(" ", ""),
                   type_code=r.text(top + "cbc:InvoiceTypeCode"), warnings=warnings, xml=xml)


def read_einvoice(data: bytes) -> EInvoice:
    """One e-invoice from its file's bytes (PDF or XML, told by its first bytes, not its name)."""
    if not data.strip():
        raise ImportFileError("fichier vide")
    is_pdf = data.lstrip()[:5] == b"%PDF-"
    if not is_pdf and len(data) > MAX_XML_BYTES:
        raise ImportFileError(f"fichier trop volumineux ({_mb(len(data))} ; {_mb(MAX_XML_BYTES)} au plus pour une "
                              "facture XML)")
    xml = xml_from_pdf(data) if is_pdf else data
    root = parse_xml(xml)
    flavor, level = validate(root)
    if flavor == "factur-x":
        return _read_cii(root, "Factur-X" if is_pdf else "CII", level, xml)
    return _read_ubl(root, xml)


def parse_einvoice(data: bytes, *, kind: str | None = None) -> ParsedFile:
    """The FORMATS entry: one e-invoice as a ParsedFile of kind ``einvoices`` (one customer, one invoice, the
    notes on how the due date was found in ``notes``). Raises ``ImportFileError`` (French) for a file that is
    not a conforming e-invoice."""
    del kind  # an e-invoice always carries both
    read = read_einvoice(data)
    return ParsedFile(kind=EINVOICES, customers=(read.customer,), invoices=(read.invoice,), errors=(), rows=1,
                      encoding="utf-8", delimiter="", row_of={read.invoice.id: 1, read.customer.id: 1},
                      headers={"customer_id": "BT-46"},
                      notes=tuple(RowError(1, "", w) for w in read.warnings))
