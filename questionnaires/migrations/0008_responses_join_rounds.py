"""Existing responses join rounds (see responses_join_rounds)."""

from collections import Counter

from django.db import migrations


def responses_join_rounds(apps, schema_editor):
    """Each response joins the earliest round that compared it.

    A response compared in several rounds is copied into each later one (answers,
    evidence records pointing at the same files, and scores), so that every round keeps
    what it compared. Responses no round compared join one round per version, named so.
    Each round takes the version most of its responses answer and their latest due date.
    """
    Selection = apps.get_model("questionnaires", "Selection")
    Response = apps.get_model("questionnaires", "Response")
    QuestionnaireVersion = apps.get_model("questionnaires", "QuestionnaireVersion")
    for selection in Selection.objects.order_by("created_at", "pk"):
        for response in selection.compared_responses.order_by("pk"):
            if response.selection_id is None:
                response.selection = selection
                response.save(update_fields=["selection"])
            else:
                _copy_into(apps, response, selection)
        _settle_round(selection)
    for version in QuestionnaireVersion.objects.filter(
        responses__selection__isnull=True
    ).distinct():
        selection = Selection.objects.create(
            name=f"Earlier responses to {version.title} v{version.number}",
            buyer_name="No buyer recorded",
            version=version,
            profile_key=version.definition["profiles"][0]["key"],
        )
        Response.objects.filter(version=version, selection__isnull=True).update(selection=selection)
        _settle_round(selection)


def _settle_round(selection):
    responses = selection.responses.all()
    versions = Counter(responses.values_list("version_id", flat=True))
    if versions and selection.version_id is None:
        selection.version_id = versions.most_common(1)[0][0]
    dates = [d for d in responses.values_list("due_date", flat=True) if d]
    selection.due_date = max(dates, default=None)
    selection.save(update_fields=["version", "due_date"])
    if selection.created_by_id:
        selection.owners.add(selection.created_by_id)


def _copy_into(apps, response, selection):
    Answer = apps.get_model("questionnaires", "Answer")
    Evidence = apps.get_model("questionnaires", "Evidence")
    ResponseScore = apps.get_model("questionnaires", "ResponseScore")
    original_pk = response.pk
    answers = list(Answer.objects.filter(response_id=original_pk))
    evidence = list(Evidence.objects.filter(answer__response_id=original_pk))
    scores = list(ResponseScore.objects.filter(response_id=original_pk))
    response.pk = None
    response.selection = selection
    response.carried_from_id = original_pk
    response.save()
    new_answer_ids = {}
    for answer in answers:
        old = answer.pk
        answer.pk = None
        answer.response = response
        answer.save()
        new_answer_ids[old] = answer.pk
    for item in evidence:
        item.pk = None
        item.answer_id = new_answer_ids[item.answer_id]
        item.save()
    for score in scores:
        score.pk = None
        score.response = response
        score.save()


def rounds_back_to_sets(apps, schema_editor):
    Response = apps.get_model("questionnaires", "Response")
    for response in Response.objects.filter(selection__isnull=False):
        response.selection.compared_responses.add(response)


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0007_rounds")]

    operations = [
        migrations.RunPython(responses_join_rounds, rounds_back_to_sets),
    ]
