import pytest
from django.core.management import CommandError, call_command

from questionnaires.definition import load_definition
from questionnaires.models import ImmutableVersionError, QuestionnaireVersion, VersionStatus
from tests.conftest import EXAMPLE_DEFINITION

pytestmark = pytest.mark.django_db


def test_import_publishes_and_creates_rows(capsys):
    call_command("import_questionnaire", str(EXAMPLE_DEFINITION), "--publish")
    version = QuestionnaireVersion.objects.get()
    assert version.status == VersionStatus.PUBLISHED
    assert version.sections.count() == 2
    assert version.questions.count() == 7
    assert version.profiles.count() == 2
    assert "published: 2 sections, 7 questions" in capsys.readouterr().out


def test_published_version_refuses_changes(example_version):
    example_version.title = "Something else"
    with pytest.raises(ImmutableVersionError, match="import it as a new version"):
        example_version.save()
    with pytest.raises(ImmutableVersionError):
        QuestionnaireVersion.objects.filter(pk=example_version.pk).update(title="x")
    with pytest.raises(ImmutableVersionError):
        example_version.delete()


def test_reimporting_identical_content_changes_nothing(example_version, capsys):
    call_command("import_questionnaire", str(EXAMPLE_DEFINITION), "--publish")
    assert QuestionnaireVersion.objects.count() == 1
    assert "nothing changed" in capsys.readouterr().out


def test_reimporting_changed_published_version_asks_to_bump(example_version, tmp_path):
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE_DEFINITION.read_text().replace("weight: 2\n", "weight: 3\n", 1))
    with pytest.raises(CommandError, match=r"set `version: 2`"):
        call_command("import_questionnaire", str(changed), "--publish")


def test_invalid_file_writes_nothing_and_lists_every_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE_DEFINITION.read_text()
        .replace("type: integer", "type: integr")
        .replace("weight: 2\n", "weight: -1\n", 1)
    )
    with pytest.raises(CommandError, match=r"2 error\(s\)"):
        call_command("import_questionnaire", str(bad))
    err = capsys.readouterr().err
    assert "sections[0].questions[0].type (line 21): unknown type 'integr'" in err
    assert "sections[0].weight (line 16): weight must be a positive number, got -1" in err
    assert not QuestionnaireVersion.objects.exists()


def test_export_then_import_round_trips(example_version, tmp_path):
    out = tmp_path / "export.yaml"
    call_command("export_questionnaire", "example_agent_check", "--output", str(out))
    assert load_definition(out.read_text()) == example_version.definition
