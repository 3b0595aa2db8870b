"""The PDF renderer fetches nothing but the project's static files and data: URIs.

Each test renders real HTML with WeasyPrint through cxvet.pdf and inspects the PDF with
pypdf; a tiny HTTP server on 127.0.0.1 records every request it receives, so "fetched
nothing" is observed, not assumed.
"""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.template import Context, Template
from pypdf import PdfReader

from cxvet.pdf import FetchRefused, render_pdf, url_fetcher

PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin")
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self):
        self.requests.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG_1PX)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1 that remembers every path requested of it."""
    handler = type("Handler", (_Recorder,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def static_dir(settings, tmp_path):
    """A static directory of its own, with one image, and a secret file beside it."""
    static = tmp_path / "static"
    (static / "reports").mkdir(parents=True)
    (static / "reports" / "dot.png").write_bytes(PNG_1PX)
    (tmp_path / "secret.txt").write_text("root:x:0:0:secret outside static\n")
    (static / "reports" / "escape.txt").symlink_to(tmp_path / "secret.txt")
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = tmp_path / "collected"
    return static


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _assert_nothing_embedded(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    names = reader.trailer["/Root"].get("/Names", {})
    assert "/EmbeddedFiles" not in names
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"
        # No image XObjects: none of the payloads may have been drawn.
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for xobject in xobjects.values():
            assert xobject.get_object().get("/Subtype") != "/Image"
    for marker in PASSWD_MARKERS:
        assert marker.encode() not in pdf


def _payloads(base: str) -> list[str]:
    return [
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<img src="{base}/x.png">',
        f'<link rel="attachment" href="{base}/attached.txt">',
        f'<a rel="attachment" href="{base}/anchor.txt">download</a>',
        f'<link rel="stylesheet" href="{base}/style.css">',
        f'<img src="{base}/redirect">',
        '<img src="../../../../../etc/passwd">',
        '<base href="file:///etc/"><img src="passwd">',
        "<div style=\"background: url('file:///etc/passwd')\">bg</div>",
    ]


def test_vendor_payloads_print_as_text_and_fetch_nothing(local_server, static_dir):
    base, requests = local_server
    payloads = _payloads(base)
    # How report templates print vendor text: through Django's autoescaping.
    template = Template(
        "<html><body><h1>Vendor answers</h1>"
        "{% for text in answers %}<p>{{ text }}</p>{% endfor %}</body></html>"
    )
    html = template.render(Context({"answers": payloads}))

    pdf = render_pdf(html)

    text = _text(pdf)
    assert '<img src="file:///etc/passwd">' in text
    assert '<link rel="attachment" href="file:///etc/passwd">' in text
    assert f"{base}/x.png" in text
    assert requests == []
    _assert_nothing_embedded(pdf)


def test_raw_markup_that_escaped_escaping_still_fetches_nothing(local_server, static_dir):
    """Defence in depth: the same payloads as live markup, not text."""
    base, requests = local_server
    html = "<html><body><p>before</p>" + "".join(_payloads(base)) + "<p>after</p></body></html>"

    pdf = render_pdf(html)

    assert "before" in _text(pdf)
    assert "after" in _text(pdf)
    assert requests == []
    _assert_nothing_embedded(pdf)


def test_static_file_and_data_uri_images_are_drawn(static_dir):
    data_uri = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    html = (
        f'<html><body><img src="reports/dot.png"><img src="{data_uri}">'
        f'<img src="{(static_dir / "reports" / "dot.png").as_uri()}"></body></html>'
    )

    reader = PdfReader(io.BytesIO(render_pdf(html)))

    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    images = [x for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]
    assert len(images) >= 1  # identical images may be shared by WeasyPrint


def test_fetcher_serves_static_files_and_data_uris(static_dir):
    fetcher = url_fetcher()

    response = fetcher.fetch((static_dir / "reports" / "dot.png").as_uri())
    assert response.read() == PNG_1PX
    assert response.content_type == "image/png"

    response = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    assert response.read() == b"hello"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://otherhost/etc/passwd",
        "file:///etc/passwd?x=1",
        "FILE:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1/x",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_paths_and_schemes(static_dir, url):
    with pytest.raises(FetchRefused):
        url_fetcher().fetch(url)


def test_fetcher_refuses_escapes_from_the_static_directory(static_dir):
    fetcher = url_fetcher()
    escapes = [
        static_dir.as_uri() + "/reports/../../secret.txt",
        (static_dir / "reports" / "escape.txt").as_uri(),  # a symlink pointing outside
        Path(__file__).resolve().as_uri(),
        static_dir.as_uri() + "/reports/missing.png",
        static_dir.as_uri() + "/reports/",
    ]
    for url in escapes:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)


def test_fetcher_refuses_http_https_and_redirects_without_a_request(local_server, static_dir):
    base, requests = local_server
    fetcher = url_fetcher()
    for url in (f"{base}/x.png", f"{base}/redirect", "https://127.0.0.1:1/x.png"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert requests == []


def test_fetcher_is_reused_within_a_process(static_dir):
    assert url_fetcher() is url_fetcher()
