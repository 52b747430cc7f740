"""The ledger of outgoing email now belongs to the mailing app (`mailing.0001`): it leaves
this app's state. The table and its rows are not touched here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0003_portal_signin_kind"),
        ("mailing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutgoingEmail")],
            database_operations=[],
        ),
    ]
