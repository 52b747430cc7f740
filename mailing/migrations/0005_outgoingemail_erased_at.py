"""A ledger row remembers when its personal data were erased, so that a send still on its way
at that moment cannot write them back (`delivery._finish`) and a retry cannot resend it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailing", "0004_drop_feature_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingemail",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
