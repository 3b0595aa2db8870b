from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0008_responses_join_rounds")]

    operations = [
        migrations.RemoveField(
            model_name="selection",
            name="compared_responses",
        ),
    ]
