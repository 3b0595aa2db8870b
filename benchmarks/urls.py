"""The URLconf of the benchmark and load-test servers: the project's URLs plus two
reference views that exist only here, never in the app.

- /bench/trivial/: `HttpResponse("ok")` behind the same middleware, the least a request
  can cost on this server;
- /bench/floor/<token>/<question_key>/: the least an autosave could do. A POST (CSRF
  checked like the real one) that looks the private link up by its token's hash (one
  query) and commits one single-row update of one of that response's answers.
"""

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_POST

from questionnaires.models import Answer
from vendors.models import AccessLink
from vendors.services import token_hash


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@require_POST
def floor_save(request: HttpRequest, token: str, question_key: str) -> JsonResponse:
    response_id = AccessLink.objects.values_list("response_id", flat=True).get(
        token_hash=token_hash(token)
    )
    with transaction.atomic():
        updated = Answer.objects.filter(response_id=response_id, question__key=question_key).update(
            value=request.POST.get(question_key, ""), revision=F("revision") + 1
        )
    return JsonResponse({"status": "saved" if updated else "missing"})


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/floor/<str:token>/<slug:question_key>/", floor_save),
    path("", include("cxvet.urls")),
]
