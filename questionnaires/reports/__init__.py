"""PDF reports for buyers: the vendor comparison of a Selection, the assessment of one response.

Three steps, one module each:

1. `inputs.report_inputs(subject)` takes a snapshot, in a constant number of queries, of
   everything a report depends on: answers (values, comments, evidence levels and
   files), stored scores and their overrides, the profile and its weights, the
   selection's recommendation, vendor names, the review history.
   `inputs.inputs_hash(subject, snapshot)` fingerprints that snapshot together with the
   report templates' content and the scoring engine's version. The same fingerprint
   means the same PDF, so a stored file is reused; its short form is printed in the
   footer.
2. `context.report_context(...)` shapes the snapshot and the comparison built from it
   (questionnaires.comparison, the same code as the admin's comparison page) into what
   the templates print; `charts` computes the SVG charts from plain numbers.
3. `render.render_report(subject)` renders templates/reports/ and turns the HTML into
   PDF through cxvet.pdf, the one safe renderer.

`subject` checks what a report covers before anything is queued. The names other
modules use are importable from `questionnaires.reports` itself.
"""

from .inputs import current_inputs_hash, inputs_hash, report_inputs, template_digest
from .render import (
    RENDER_HARD_TIME_LIMIT,
    RENDER_SOFT_TIME_LIMIT,
    RenderedReport,
    render_report,
    report_html,
)
from .subject import ReportNotPossible, ReportSubject, report_subject, subject_of

__all__ = [
    "RENDER_HARD_TIME_LIMIT",
    "RENDER_SOFT_TIME_LIMIT",
    "RenderedReport",
    "ReportNotPossible",
    "ReportSubject",
    "current_inputs_hash",
    "inputs_hash",
    "render_report",
    "report_html",
    "report_inputs",
    "report_subject",
    "subject_of",
    "template_digest",
]
