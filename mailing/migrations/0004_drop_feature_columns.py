"""The ledger no longer points at any feature app's table: the registration and person
columns, copied into the generic recipient by `0003`, go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailing", "0003_copy_recipients"),
    ]

    operations = [
        migrations.RemoveField(model_name="outgoingemail", name="person"),
        migrations.RemoveField(model_name="outgoingemail", name="registration"),
        migrations.AddIndex(
            model_name="outgoingemail",
            index=models.Index(
                fields=["recipient_type", "recipient_id"], name="mailing_recipient_idx"
            ),
        ),
    ]
