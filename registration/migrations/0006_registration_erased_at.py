"""A registration remembers when its personal data were erased (right to erasure, or the end
of the retention period), so the daily retention run passes over it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0005_normalized_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
