"""The ledger gets its own table name and a generic recipient (what the email is about), next
to the registration and person columns it replaces (`0003` copies them, `0004` drops them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("mailing", "0001_initial"),
        ("registration", "0004_outgoingemail_moves_to_mailing"),
    ]

    operations = [
        migrations.AlterModelTable(name="outgoingemail", table=None),
        migrations.RenameIndex(
            model_name="outgoingemail",
            new_name="mailing_state_due_idx",
            old_name="registratio_state_4dd42d_idx",
        ),
        migrations.AddField(
            model_name="outgoingemail",
            name="recipient_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outgoingemail",
            name="recipient_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
    ]
