"""Every existing row names what it is about the generic way: a registration's emails point
at that registration, a person's at that person. One UPDATE per kind of recipient, whatever
the number of rows. (A migration of its own: on PostgreSQL, rows changed under deferred
foreign keys block an ALTER TABLE in the same transaction.)"""

from django.db import migrations
from django.db.models import F

RECIPIENTS = (
    ("registration", "registration", "registration_id"),
    ("workshop", "person", "person_id"),
)


def copy_to_recipient(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    OutgoingEmail = apps.get_model("mailing", "OutgoingEmail")
    for app_label, model, column in RECIPIENTS:
        rows = OutgoingEmail.objects.using(db).filter(**{f"{column}__isnull": False})
        if rows.exists():
            content_type, _ = ContentType.objects.using(db).get_or_create(
                app_label=app_label, model=model
            )
            rows.update(recipient_type=content_type, recipient_id=F(column))


def copy_back(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    OutgoingEmail = apps.get_model("mailing", "OutgoingEmail")
    for app_label, model, column in RECIPIENTS:
        content_type = (
            ContentType.objects.using(db).filter(app_label=app_label, model=model).first()
        )
        if content_type is not None:
            OutgoingEmail.objects.using(db).filter(recipient_type=content_type).update(
                **{column: F("recipient_id")}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("mailing", "0002_outgoingemail_recipient"),
        ("workshop", "0005_paper_moves_to_portal"),
    ]

    operations = [migrations.RunPython(copy_to_recipient, copy_back, elidable=False)]
