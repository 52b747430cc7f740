"""Papers now belong to the portal app (`portal.0001`): the model leaves this app's state.
The table and its rows are not touched here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workshop", "0004_search_indexes"),
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Paper")],
            database_operations=[],
        ),
    ]
