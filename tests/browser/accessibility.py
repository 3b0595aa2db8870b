"""An automated accessibility audit (axe-core) of the page open in the browser."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# WCAG 2.1 levels A and AA, and axe's best practices (landmarks, headings, regions).
STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


# Parts of Django's own admin pages, drawn by Django's templates and styles, not ours.
DJANGO_ADMIN_CHROME = [".breadcrumbs", "#searchbar"]


def assert_accessible(page: Page, *, exclude: list[str] = ()) -> None:
    """Fail with each problem axe finds (the rule, why it matters and where), outside
    the parts `exclude` names by CSS selector."""
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    options = {
        "runOnly": {"type": "tag", "values": STANDARDS},
        # No stylesheet preloading: only an experimental rule (not run) reads it, and axe
        # parses @import-ed sheets by adding <style> elements, which the page's
        # Content-Security-Policy rightly refuses (the browser tests fail on that).
        "preload": {"assets": ["media"]},
    }
    results = Axe().run(page, context=context, options=options)
    problems = [
        f"- {v['id']} ({v['impact']}): {v['help']}; at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]
    assert not problems, f"accessibility problems on {page.url}:\n" + "\n".join(problems)
