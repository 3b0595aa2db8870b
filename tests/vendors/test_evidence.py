"""Evidence: checked by content, size-limited, safely named, stored, analyst-only download."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from questionnaires.evidence import EvidenceRejected, check_upload, human_size, safe_name
from questionnaires.models import Answer, AuditEvent, Evidence, EvidenceLevel
from tests.factories import UserFactory, answer_all
from tests.vendors.helpers import open_response, url

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "rollbacks"
    workbook.save(buffer)
    return buffer.getvalue()


def _file(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# Checking uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, expected_type, expected_name",
    [
        ("report.pdf", PDF, "application/pdf", "report.pdf"),
        ("screenshot.PNG", PNG, "image/png", "screenshot.png"),
        (
            "policy.docx",
            _docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "policy.docx",
        ),
        (
            "rates.xlsx",
            _xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "rates.xlsx",
        ),
        ("rates.csv", b"month,rollbacks\n2026-01,2\n", "text/csv", "rates.csv"),
        ("notes", "Überwachung läuft 24/7\n".encode(), "text/plain", "notes.txt"),
        # The content decides, not the name: a PNG called .pdf is stored as a PNG.
        ("chart.pdf", PNG, "image/png", "chart.png"),
    ],
)
def test_allowed_types_are_recognised_by_content(name, content, expected_type, expected_name):
    checked = check_upload(_file(name, content, content_type="application/pdf"))
    assert checked.content_type == expected_type
    assert checked.name == expected_name
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


def test_an_executable_is_refused_whatever_its_name():
    with pytest.raises(EvidenceRejected) as refused:
        check_upload(_file("audit-report.pdf", EXE, content_type="application/pdf"))
    assert str(refused.value) == (
        "Only PDF, PNG, JPEG, DOCX, XLSX, CSV, TXT are accepted; "
        "this file looks like an executable (a program)."
    )


@pytest.mark.parametrize(
    "content, described",
    [
        (b"GIF89a" + b"\x00" * 50, "a GIF image"),
        (b"PK\x03\x04" + b"\x00" * 100, "a ZIP archive"),
        (bytes(range(256)) * 4, "binary data of an unknown kind"),
    ],
)
def test_other_types_are_named_in_the_refusal(content, described):
    with pytest.raises(EvidenceRejected, match=described):
        check_upload(_file("x.pdf", content))


def test_a_file_over_the_limit_is_refused_with_both_sizes(settings):
    settings.EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    big = PDF + b"0" * (14 * 1024 * 1024 - len(PDF))
    with pytest.raises(EvidenceRejected) as refused:
        check_upload(_file("big.pdf", big))
    assert str(refused.value) == "This file is 14 MB; the limit is 10 MB."


def test_an_empty_file_is_refused():
    with pytest.raises(EvidenceRejected, match="empty"):
        check_upload(_file("empty.pdf", b""))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\Users\\me\\Rapport d\u2019été 2026.txt", "Rapport-d-ete-2026.txt"),
        ("<script>alert(1)</script>.txt", "script.txt"),
        ("<b onmouseover=alert(1)>x.txt", "b-onmouseover-alert-1-x.txt"),
        ("....txt", "evidence.txt"),
        ("report.exe.txt", "report-exe.txt"),
    ],
)
def test_names_are_sanitised(name, expected):
    assert safe_name(name, "txt") == expected


def test_human_sizes():
    assert human_size(14 * 1024 * 1024) == "14 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(12) == "12 bytes"


# Uploading in the portal ------------------------------------------------------------------------


def test_upload_with_the_save_button_attaches_the_file_and_marks_the_answer_documented(
    client, example_version, settings
):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    page = client.post(
        url("section", token, "track_record"),
        {
            "rollback_rate": "8",
            "rollback_rate-revision": 0,
            "rollback_rate-evidence": [_file("Rollback log.pdf", PDF)],
        },
    )
    assert page.status_code == 302
    evidence = Evidence.objects.get(answer__response=response)
    assert evidence.original_name == "Rollback-log.pdf"
    assert evidence.content_type == "application/pdf"
    assert evidence.uploaded_by.startswith("Dana Vendor")
    # Stored through the default storage, under the response's folder.
    assert evidence.file.name.startswith(f"evidence/{response.pk}/")
    assert evidence.file.storage.exists(evidence.file.name)
    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    assert answer.evidence_level == EvidenceLevel.DOCUMENT
    assert answer.value == 8
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EVIDENCE_ADDED).count() == 1

    body = client.get(url("section", token, "track_record")).content.decode()
    assert "Rollback-log.pdf" in body
    # Vendors see the name only: no link to the stored file.
    assert evidence.file.name not in body
    assert "/download/" not in body


def test_a_refused_upload_is_explained_and_answers_are_still_saved(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    page = client.post(
        url("section", token, "track_record"),
        {
            "rollback_rate": "8",
            "rollback_rate-revision": 0,
            "rollback_rate-evidence": [_file("tool.pdf", EXE)],
        },
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "tool.pdf: Only PDF, PNG, JPEG, DOCX, XLSX, CSV, TXT are accepted" in body
    assert 'id="error-summary"' in body
    assert not Evidence.objects.exists()
    assert Answer.objects.get(response=response, question__key="rollback_rate").value == 8


def test_upload_endpoint_for_a_file_question_sets_its_value(client, example_version):
    token, response = open_response(example_version)
    reply = client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file("March.pdf", PDF), _file("evil.exe", EXE)]},
    ).json()
    assert reply["added"] == ["March.pdf"]
    assert reply["errors"] == [
        "evil.exe: Only PDF, PNG, JPEG, DOCX, XLSX, CSV, TXT are accepted; "
        "this file looks like an executable (a program)."
    ]
    assert "March.pdf" in reply["list_html"]
    assert reply["section_progress"] == {"answered": 1, "total": 4}
    answer = Answer.objects.get(response=response, question__key="monitoring_report")
    assert answer.value == ["March.pdf"]


def test_questions_without_documents_refuse_uploads(client, example_version):
    token, _ = open_response(example_version)
    reply = client.post(
        url("evidence", token, "kill_switch_owner"),
        {"kill_switch_owner-evidence": [_file("a.pdf", PDF)]},
    )
    assert reply.json()["added"] == []
    assert not Evidence.objects.exists()


def test_removing_a_file_with_the_save_button(
    client, example_version, django_capture_on_commit_callbacks
):
    token, response = open_response(example_version)
    client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file("March.pdf", PDF)]},
    )
    evidence = Evidence.objects.get()
    stored = evidence.file.name
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url("section", token, "oversight"), {"remove_evidence": evidence.pk})
    assert page.status_code == 302
    assert not Evidence.objects.exists()
    assert not evidence.file.storage.exists(stored)
    answer = Answer.objects.get(response=response, question__key="monitoring_report")
    assert answer.value is None
    assert answer.evidence_level == EvidenceLevel.SELF_ATTESTED


def test_removing_a_file_through_the_endpoint(client, example_version):
    token, response = open_response(example_version)
    client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file("March.pdf", PDF)]},
    )
    evidence = Evidence.objects.get()
    reply = client.post(url("evidence_remove", token, "monitoring_report", evidence.pk)).json()
    assert reply["count"] == 0
    assert not Evidence.objects.exists()
    # The removal names the link it came through, as an answer saved through it does.
    removed = AuditEvent.objects.get(
        response=response, kind=AuditEvent.Kind.ANSWER_CHANGED, data__evidence_removed="March.pdf"
    )
    assert removed.data["link"] == response.access_links.get().pk


# Downloading: analysts only -------------------------------------------------------------------


def test_only_staff_can_download_evidence(client, example_version):
    token, _ = open_response(example_version)
    client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file("March.pdf", PDF)]},
    )
    evidence = Evidence.objects.get()
    download = f"/admin/questionnaires/evidence/{evidence.pk}/download/"

    anonymous = client.get(download)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]

    client.force_login(UserFactory())
    served = client.get(download)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"] == 'attachment; filename="March.pdf"'
    assert b"".join(served.streaming_content) == PDF


def test_the_evidence_admin_lists_files_with_a_download_link(client, example_version):
    token, _ = open_response(example_version)
    client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": [_file("March.pdf", PDF)]},
    )
    client.force_login(UserFactory())
    page = client.get("/admin/questionnaires/evidence/")
    body = page.content.decode()
    assert "March.pdf" in body
    assert f"/admin/questionnaires/evidence/{Evidence.objects.get().pk}/download/" in body
