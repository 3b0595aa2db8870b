"""The one place that turns a private token into the response it opens.

Every portal view is wrapped in `portal_view`, which resolves the token (by the hash
of it, never the token itself), answers 404 for an unknown token, 410 for a revoked or
expired link, and 429 for a client that keeps guessing. What the view receives is a
`PortalAccess` for exactly one response: anything a URL names beyond the token (a
section, a question, a file) is looked up inside that response, never by id alone.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

from questionnaires.models import EDITABLE_STATUSES, Response, ResponseStatus

from .models import AccessLink, Contact, LinkToken, Vendor
from .portal import QuestionnairePlan, questionnaire_plan
from .services import contact_label, link_expires_on, link_touch, token_hash

BAD_TOKEN_GROUP = "portal-bad-token"
# The address of a client whose connection names none (see client_ip).
UNKNOWN_CLIENT_IP = "0.0.0.0"


class LinkGone(Exception):
    def __init__(self, link: AccessLink, reason: str):
        self.link = link
        self.reason = reason  # "revoked" or "expired"
        super().__init__(reason)


class TooManyBadTokens(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = max(retry_after, 1)
        super().__init__(retry_after)


@dataclass
class PortalAccess:
    """What one private link may see and do."""

    token: str
    link: AccessLink
    plan: QuestionnairePlan
    # The hash of `token`: the link's own, or one of its LinkTokens'.
    token_hash: str = ""

    @property
    def response(self) -> Response:
        return self.link.response

    @property
    def contact(self) -> Contact:
        return self.link.contact

    @property
    def vendor(self) -> Vendor:
        return self.link.response.vendor

    @property
    def definition(self) -> dict[str, Any]:
        return self.plan.definition

    @property
    def actor(self) -> str:
        return contact_label(self.link.contact)

    @property
    def editable(self) -> bool:
        return self.response.status in EDITABLE_STATUSES

    @property
    def clarifying(self) -> bool:
        return self.response.status == ResponseStatus.CLARIFICATION_REQUESTED

    @property
    def expires_on(self) -> datetime.date:
        return link_expires_on(self.response.due_date)

    @property
    def sections_by_key(self) -> dict[str, dict]:
        return self.plan.sections_by_key

    @property
    def questions_by_key(self) -> dict[str, dict]:
        return self.plan.questions_by_key

    def section(self, key: str) -> dict:
        """A section of this response's questionnaire, or 404."""
        try:
            return self.sections_by_key[key]
        except KeyError:
            raise Http404("No such section in this questionnaire.") from None

    def question(self, key: str) -> dict:
        """A question of this response's questionnaire, or 404."""
        try:
            return self.questions_by_key[key]
        except KeyError:
            raise Http404("No such question in this questionnaire.") from None


def portal_access(request: HttpRequest, token: str) -> PortalAccess:
    """The access a token grants, or raise Http404, LinkGone or TooManyBadTokens."""
    _refuse_blocked_client(request)
    # Never cached: a revoked link must stop working at once. The definition comes from
    # the per-process plan instead of being decoded from JSON on every request.
    try:
        # get(), not first(): the hash is unique, and ordering it would cost time.
        hashed = token_hash(token)
        link = _links().get(pk=link_id_of_token(hashed))
    except AccessLink.DoesNotExist:
        link = None
    if link is None:
        _count_bad_token(request)
        raise Http404("Unknown link.")
    if link.revoked_at is not None:
        raise LinkGone(link, "revoked")
    # A clarification request reopens the response whatever the date: the analyst asked.
    expired = timezone.localdate() > link_expires_on(link.response.due_date)
    if expired and link.response.status != ResponseStatus.CLARIFICATION_REQUESTED:
        raise LinkGone(link, "expired")
    link_touch(link=link)
    return PortalAccess(
        token=token,
        link=link,
        plan=questionnaire_plan(link.response.version),
        token_hash=hashed,
    )


def _links() -> QuerySet[AccessLink]:
    # The round too: every portal page shows its buyer context, and a query of its own
    # cost an unchanged section page a sixth of its time.
    return AccessLink.objects.select_related(
        "contact", "response__vendor", "response__version", "response__selection"
    ).defer("response__version__definition")


def link_id_of_token(hashed: str) -> RawSQL:
    """The id of the link a token's hash opens, as one expression: the link's own token
    (the invitation's) or any token a later email minted for it (LinkToken).

    Two uncorrelated subqueries, each on its unique index, so the lookup stays one query
    and an index scan however many links and tokens there are (an OR across the join
    would scan every link). Written as SQL because every portal request runs it: built
    from two querysets with Coalesce and Subquery, compiling it took a third of the
    link lookup's time (benchmarks/results/portal.md).
    """
    return RawSQL(_link_id_of_token_sql(), [hashed, hashed])


@functools.cache
def _link_id_of_token_sql() -> str:
    # Built on first use, once the apps are loaded; the same for the life of the process.
    quote = connection.ops.quote_name
    links, tokens = AccessLink._meta, LinkToken._meta
    hash_column = quote(links.get_field("token_hash").column)
    return (
        f"COALESCE("
        f"(SELECT {quote(links.pk.column)} FROM {quote(links.db_table)} "
        f"WHERE {hash_column} = %s), "
        f"(SELECT {quote(tokens.get_field('link').column)} FROM {quote(tokens.db_table)} "
        f"WHERE {quote(tokens.get_field('token_hash').column)} = %s))"
    )


def _usage(request: HttpRequest, *, increment: bool) -> dict | None:
    return get_usage(
        request,
        group=BAD_TOKEN_GROUP,
        key="ip",
        rate=settings.PORTAL_BAD_TOKEN_RATE,
        increment=increment,
    )


def client_ip(request: HttpRequest) -> str:
    """The address bad tokens are counted against (django-ratelimit's "ip" key).

    With PORTAL_CLIENT_IP_HEADER set, the last address in that header: the one the
    proxy in front of this server added. Addresses before it came from the client and
    could be anything.
    """
    header = settings.PORTAL_CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        forwarded = _address(request.META.get(meta_key, "").split(",")[-1].strip())
        if forwarded:
            return forwarded
        # Missing or not an address (no proxy set it): the connecting address.
    # A request that came over no connection (a test client's force_login, a Unix
    # socket) has no usable REMOTE_ADDR: all such requests share one address.
    return _address(request.META.get("REMOTE_ADDR", "")) or UNKNOWN_CLIENT_IP


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _refuse_blocked_client(request: HttpRequest) -> None:
    # Checked before the lookup: a blocked client learns nothing, not even that a
    # guessed token happens to be right.
    usage = _usage(request, increment=False)
    # The rate counts bad tokens already seen: at the limit, the next request waits.
    if usage and (usage["should_limit"] or usage["count"] >= usage["limit"]):
        raise TooManyBadTokens(usage["time_left"])


def _count_bad_token(request: HttpRequest) -> None:
    _usage(request, increment=True)


PRIVATE_HEADERS = {
    # The token is in every URL: keep it out of other sites' Referer headers, search
    # indexes and caches. `same-origin` (not `no-referrer`) so that browsers still send
    # a real Origin on form posts and Django's stock CSRF check applies unchanged.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


def _private(response: HttpResponse) -> HttpResponse:
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


# Marks the portal's own "this link does not work" pages (404, 410), the one reply after
# which portal.js stops retrying a save: a proxy's or server's error page lacks it.
LINK_STATE_HEADER = "X-Portal-Link"


def _link_state(response: HttpResponse, state: str) -> HttpResponse:
    response[LINK_STATE_HEADER] = state
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    page = render_portal(request, "portal/not_found.html", status=404)
    return _private(_link_state(page, "not-found"))


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a portal view: resolve the token into a PortalAccess or answer 404/410/429."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        try:
            access = portal_access(request, token)
        except TooManyBadTokens as exc:
            response = render_portal(request, "portal/rate_limited.html", status=429)
            response["Retry-After"] = str(exc.retry_after)
            return _private(response)
        except LinkGone as exc:
            return _private(_link_state(gone_page(request, exc), "gone"))
        except Http404:
            return _not_found(request)
        try:
            return _private(view(request, access, **kwargs))
        except Http404:
            return _not_found(request)

    return wrapper


def render_portal(
    request: HttpRequest,
    template_name: str,
    context: dict | None = None,
    *,
    access: PortalAccess | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a portal page with what every page shows (the vendor, whom to ask)."""
    base = {"access": access, "analyst_email": settings.ANALYST_CONTACT_EMAIL}
    return render(request, template_name, {**base, **(context or {})}, status=status)


def gone_page(request: HttpRequest, exc: LinkGone) -> HttpResponse:
    # Names no vendor and no questionnaire: a withdrawn link may be in the wrong hands
    # (that is often why it was withdrawn), and the URL alone should tell them nothing.
    context = {
        "reason": exc.reason,
        "expired_on": link_expires_on(exc.link.response.due_date),
    }
    return render_portal(request, "portal/gone.html", context, status=410)
