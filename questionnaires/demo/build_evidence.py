"""Regenerate the demo vendors' evidence files in questionnaires/demo/evidence/.

    DEBUG=true .venv/bin/python -m questionnaires.demo.build_evidence

The files are committed, so `seed_demo` never needs this; it exists so that anyone can
see where the binaries come from and change them. PDFs go through the project's one
PDF renderer (cxvet.pdf.render_pdf); images are drawn with Pillow. All names, figures
and companies are invented.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported only when the evidence is built.
    from PIL import ImageFont

EVIDENCE_DIR = Path(__file__).resolve().parent / "evidence"
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)

STYLE = """
@page { size: A4; margin: 18mm; @bottom-right { content: "Page " counter(page); font-family: "DejaVu Sans", sans-serif; font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #1d2733; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
.sub { color: #5a6878; margin-bottom: 6mm; }
h2 { font-size: 11pt; margin: 6mm 0 2mm; border-bottom: 1px solid #c8d1db; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #c8d1db; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
.conf { color: #8a1c1c; font-size: 8pt; margin-top: 8mm; }
"""


def _document(title: str, subtitle: str, sections: list[tuple[str, str]]) -> str:
    body = "".join(f"<h2>{escape(h)}</h2>{content}" for h, content in sections)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1><div class='sub'>{escape(subtitle)}</div>{body}"
        "<p class='conf'>Confidential. Prepared for vendor due diligence; customer names "
        "redacted.</p></body></html>"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


PDFS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "corvane-deployment-register.pdf": (
        "Corvane Resolve: enterprise deployment register",
        "Deployments live at any time in the last 12 months (46)",
        [
            (
                "Summary",
                _table(
                    ["Industry", "Deployments", "Channels", "Contacts / month (median)"],
                    [
                        ["Retail banking", "9", "chat, voice, email", "410,000"],
                        ["Utilities", "11", "voice, chat, SMS", "260,000"],
                        ["Healthcare networks", "6", "voice, chat", "120,000"],
                        ["Retail and e-commerce", "14", "chat, email, SMS", "340,000"],
                        ["Travel", "6", "chat, voice", "180,000"],
                    ],
                ),
            ),
            (
                "Definition",
                _paragraph(
                    "An enterprise deployment serves real customers at an organisation with "
                    "at least 250 contact-center seats or one million contacts a year. Pilots "
                    "with test users are excluded."
                ),
            ),
        ],
    ),
    "corvane-incident-log.pdf": (
        "Corvane Resolve: rollback and pause log",
        "All rollbacks, pauses and shutdowns in the last 12 months (4 of 46 deployments)",
        [
            (
                "Events",
                _table(
                    [
                        "Month",
                        "Channel",
                        "Use case",
                        "Reason",
                        "Detected by",
                        "Detect",
                        "Roll back",
                    ],
                    [
                        [
                            "Jan",
                            "Voice",
                            "Billing",
                            "Retired late-fee policy quoted",
                            "Monitoring",
                            "40 min",
                            "6 min",
                        ],
                        [
                            "Apr",
                            "Chat",
                            "Returns",
                            "Model region outage",
                            "Monitoring",
                            "4 min",
                            "3 min",
                        ],
                        [
                            "Jun",
                            "Voice",
                            "Transfers",
                            "Dropped transfers after telephony change",
                            "Monitoring",
                            "25 min",
                            "8 min",
                        ],
                        [
                            "Sep",
                            "Chat",
                            "Account servicing",
                            "Compliance review of fee-waiver wording",
                            "Change process",
                            "n/a",
                            "5 min",
                        ],
                    ],
                ),
            ),
            (
                "AI incident playbook",
                _paragraph(
                    "Last exercised in August: simulated mass wrong-answer incident, kill switch "
                    "pulled by the customer's duty manager, affected conversations listed from "
                    "the audit trail within 20 minutes."
                ),
            ),
        ],
    ),
    "corvane-outcomes-report.pdf": (
        "Corvane Resolve: production outcomes, last 12 months",
        "All 46 enterprise deployments; method and figures",
        [
            (
                "Figures",
                _table(
                    ["Measure", "Value", "Method"],
                    [
                        [
                            "Verified resolution",
                            "58%",
                            "No repeat contact on the same intent within 7 days, any channel, matched on customer ID",
                        ],
                        [
                            "Repeat contact within 7 days",
                            "8.5%",
                            "Same matching, contacts closed without a human",
                        ],
                        [
                            "Material error rate",
                            "0.8%",
                            "Customers' QA teams grade 600 random conversations a month",
                        ],
                        [
                            "Repeat explanation after hand-off",
                            "7%",
                            "400 hand-offs a month, transcript review",
                        ],
                    ],
                ),
            ),
        ],
    ),
    "corvane-kill-switch-drill.pdf": (
        "Kill-switch drill record",
        "Quarterly drill, voice billing, utility customer",
        [
            (
                "Timeline",
                _table(
                    ["Time", "Step"],
                    [
                        ["10:02:00", "Duty manager decides to switch off voice billing"],
                        ["10:02:20", "Switch pulled in the console by the customer's duty manager"],
                        [
                            "10:03:50",
                            "Last call routed to the agent; new calls go to the human queue",
                        ],
                        ["10:15:00", "Overflow runbook confirmed by workforce management"],
                    ],
                ),
            ),
            ("Result", _paragraph("Decision to last routed call: 1 min 50 s. Passed.")),
        ],
    ),
    "corvane-trust-pack.pdf": (
        "Corvane Labs trust pack",
        "Sub-processors, SOC 2 Type II scope, AI penetration test, HIPAA BAAs",
        [
            (
                "Sub-processors receiving customer content",
                _table(
                    ["Sub-processor", "Purpose", "Location", "DPA", "BAA"],
                    [
                        [
                            "Amazon Web Services",
                            "Hosting, Bedrock inference",
                            "DE, IE, US",
                            "yes",
                            "yes",
                        ],
                        [
                            "Deepgram (in our AWS accounts)",
                            "Speech-to-text, text-to-speech",
                            "DE, IE, US",
                            "yes",
                            "yes",
                        ],
                        ["Twilio", "Telephony and SMS", "EU or US edge", "yes", "yes"],
                    ],
                ),
            ),
            (
                "SOC 2 Type II scope",
                _paragraph(
                    "Period: 1 January to 30 September. In scope: conversation orchestration, "
                    "model gateway, retrieval service, tool integrations, conversation storage, "
                    "monitoring pipeline and the customer console."
                ),
            ),
            (
                "AI penetration test",
                _paragraph(
                    "Independent AI red-team engagement in May covering prompt injection "
                    "(direct and through retrieved content), data leakage and tool misuse. "
                    "Two high findings, both fixed and retested within 30 days."
                ),
            ),
        ],
    ),
    "corvane-evaluation-plan.pdf": (
        "Pre-launch evaluation plan (template)",
        "Built from the buyer's historical contacts; signed before launch",
        [
            (
                "Test set",
                _paragraph(
                    "1,000 to 3,000 historical contacts covering the buyer's top 25 intents, "
                    "including complaints, vulnerable-customer cases and policy edge cases."
                ),
            ),
            (
                "Pass criteria",
                _table(
                    ["Criterion", "Threshold"],
                    [
                        ["Material errors per call type", "below 1%"],
                        ["Correct hand-off when required", "at least 99%"],
                        ["Disclosure and consent wording", "100%"],
                    ],
                ),
            ),
        ],
    ),
    "corvane-business-case.pdf": (
        "Business case summary",
        "Built on the buyer's 14 months of contact data",
        [
            (
                "Assumptions",
                _table(
                    ["Input", "Value"],
                    [
                        ["Contacts in scope per month", "180,000"],
                        ["Verified resolution assumed", "52%"],
                        ["Human QA and monitoring staff", "4 FTE"],
                        ["Rollback scenario", "2 weeks at 0% automation per year"],
                    ],
                ),
            ),
        ],
    ),
    "bramblecall-deployments.pdf": (
        "Bramblecall Omni: production record",
        "28 enterprise deployments live in the last 12 months",
        [
            (
                "Outcomes",
                _table(
                    ["Measure", "Value", "Method"],
                    [
                        [
                            "Rollbacks and pauses",
                            "3 of 28 (10.7%)",
                            "Customer-success incident records",
                        ],
                        [
                            "Verified resolution",
                            "49%",
                            "Outcome confirmed in the customer's system of record",
                        ],
                        [
                            "Material error rate",
                            "0.9%",
                            "Independent grader, 400 conversations a month",
                        ],
                    ],
                ),
            ),
        ],
    ),
    "bramblecall-trust-pack.pdf": (
        "Bramblecall trust pack",
        "Sub-processors, ISO/IEC 27001 and 42001 certificates, AI penetration test",
        [
            (
                "Certificates",
                _table(
                    ["Standard", "Scope", "Valid until"],
                    [
                        [
                            "ISO/IEC 27001:2022",
                            "Contact-center platform including the AI agent",
                            "2028",
                        ],
                        ["ISO/IEC 42001:2023", "AI management system for Bramblecall Omni", "2028"],
                    ],
                ),
            ),
            (
                "AI penetration test",
                _paragraph(
                    "Independent test in the last 12 months: prompt injection, data leakage, "
                    "tool misuse. No critical findings; one medium finding fixed."
                ),
            ),
        ],
    ),
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    for path in FONT_PATHS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def _dashboard_png(path: Path) -> None:
    """A redacted live-monitoring dashboard: KPI tiles and an hourly flag chart."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (720, 400), "#f5f7fa")
    draw = ImageDraw.Draw(image)
    draw.text(
        (20, 14), "Corvane Resolve: live monitoring (customer redacted)", "#1d2733", _font(18)
    )
    tiles = [
        ("Conversations today", "38,412"),
        ("Flagged for review", "0.6%"),
        ("Policy alerts (paged)", "2"),
        ("Hand-off failures", "0.1%"),
    ]
    for i, (label, value) in enumerate(tiles):
        x = 20 + i * 172
        draw.rectangle((x, 50, x + 160, 120), fill="white", outline="#c8d1db")
        draw.text((x + 10, 58), label, "#5a6878", _font(12))
        draw.text((x + 10, 80), value, "#1d2733", _font(22))
    draw.text((20, 140), "Flagged conversations per hour, last 24 hours", "#1d2733", _font(13))
    flags = [3, 2, 2, 1, 1, 2, 4, 9, 14, 18, 17, 16, 15, 17, 19, 41, 18, 14, 12, 9, 7, 5, 4, 3]
    for hour, count in enumerate(flags):
        x = 30 + hour * 28
        colour = "#c0392b" if count > 30 else "#2e6da4"
        draw.rectangle((x, 370 - count * 5, x + 18, 370), fill=colour)
    draw.text((470, 160), "15:00 alert: refund wording", "#c0392b", _font(12))
    image.save(path, optimize=True)


def _roi_png(path: Path) -> None:
    """A sales slide: savings computed from containment."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (720, 400), "#11173a")
    draw = ImageDraw.Draw(image)
    draw.text((30, 24), "Concierge ROI summary", "white", _font(26))
    lines = [
        "80% automated resolution",
        "3.1M contacts contained per year",
        "$9.4M annual savings",
        "Payback in 4 months",
    ]
    for i, line in enumerate(lines):
        draw.text((30, 90 + i * 56), line, "#9fe3ff", _font(24))
    draw.text(
        (30, 360),
        "Based on platform-wide containment benchmarks.",
        "#8a93b8",
        _font(12),
    )
    image.save(path, optimize=True)


def build() -> list[Path]:
    from cxvet.pdf import render_pdf

    EVIDENCE_DIR.mkdir(exist_ok=True)
    written = []
    for name, (title, subtitle, sections) in PDFS.items():
        path = EVIDENCE_DIR / name
        path.write_bytes(render_pdf(_document(title, subtitle, sections)))
        written.append(path)
    for name, draw in (
        ("corvane-monitoring-dashboard.png", _dashboard_png),
        ("glimmerline-roi-summary.png", _roi_png),
    ):
        path = EVIDENCE_DIR / name
        draw(path)
        written.append(path)
    return written


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
    django.setup()
    for path in build():
        print(f"{path.relative_to(Path.cwd())}: {path.stat().st_size:,} bytes")
