"""Before one response per vendor and round holds (0012): split the doubles."""

from django.db import migrations, models


def split_double_responses(apps, schema_editor):
    """Give each vendor at most one response per round before the constraint holds it.

    A round that compared two responses of one vendor (to two versions) got both in
    0008. The vendor keeps, in that round, its latest response to the round's version
    (else its latest); each other response moves to a copy of the round for its version,
    with the buyer context and analysts but without the recommendation, which was written
    against the original round. (The old one response per vendor and version means a
    copy never holds a vendor twice.)
    """
    Response = apps.get_model("questionnaires", "Response")
    Selection = apps.get_model("questionnaires", "Selection")
    doubles = (
        Response.objects.filter(selection__isnull=False)
        .values("selection", "vendor")
        .annotate(count=models.Count("pk"))
        .filter(count__gt=1)
    )
    splits = {}
    for double in doubles:
        selection = Selection.objects.get(pk=double["selection"])
        responses = sorted(
            Response.objects.filter(selection=selection, vendor=double["vendor"]),
            key=lambda r: (r.version_id == selection.version_id, r.created_at, r.pk),
        )
        for response in responses[:-1]:
            key = (selection.pk, response.version_id)
            if key not in splits:
                splits[key] = _copy_round(apps, selection, response.version)
            response.selection = splits[key]
            response.save(update_fields=["selection"])


def _copy_round(apps, selection, version):
    Selection = apps.get_model("questionnaires", "Selection")
    owners = list(selection.owners.all())
    copy = Selection.objects.get(pk=selection.pk)
    copy.pk = None
    copy.name = f"{selection.name} ({version.title} v{version.number})"[:200]
    copy.version = version
    copy.recommended = None
    copy.recommendation = ""
    copy.recommendation_basis = {}
    copy.recommendation_at = None
    copy.signed_off_by = None
    copy.signed_off_at = None
    copy.save()
    copy.owners.set(owners)
    return copy


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0010_decision_inputs")]

    operations = [migrations.RunPython(split_double_responses, migrations.RunPython.noop)]
