"""One response per vendor and round.

In a migration of its own: on PostgreSQL the split in 0011 leaves deferred foreign-key
checks pending until its transaction ends, and an index cannot be built on a table
with pending trigger events.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0011_split_double_responses")]

    operations = [
        migrations.AddConstraint(
            model_name="response",
            constraint=models.UniqueConstraint(
                condition=models.Q(("selection__isnull", False)),
                fields=("selection", "vendor"),
                name="unique_response_per_round_vendor",
            ),
        ),
    ]
