"""The papers' table takes the portal app's name (`portal_paper`); its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("workshop", "0005_paper_moves_to_portal"),
    ]

    operations = [
        migrations.AlterModelTable(name="paper", table=None),
    ]
