"""The ledger of outgoing email moves here from the registration app, with its data.

This migration only takes the model over in Django's state: the table
(`registration_outgoingemail`), its rows, ids and states stay exactly as they are
(`registration.0004` drops the model from the registration app's state, again without touching
the table). `0002` then renames the table and makes the rows generic. The content type moves
too, so permissions given on the ledger (the Organizers group's) and admin history follow it.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="mailing", model="outgoingemail"):
        ContentType.objects.using(db).filter(
            app_label="registration", model="outgoingemail"
        ).update(app_label="mailing")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="registration", model="outgoingemail"):
        ContentType.objects.using(db).filter(app_label="mailing", model="outgoingemail").update(
            app_label="registration"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("registration", "0003_portal_signin_kind"),
        ("workshop", "0004_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("kind", models.CharField(max_length=30)),
                        ("to_address", models.EmailField(max_length=254)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("subject", models.CharField(blank=True, max_length=300)),
                        ("body_text", models.TextField(blank=True)),
                        ("context", models.JSONField(blank=True, default=dict)),
                        (
                            "person",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="emails",
                                to="workshop.person",
                            ),
                        ),
                        (
                            "registration",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="emails",
                                to="registration.registration",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "email",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "registration_outgoingemail",
                        "indexes": [
                            models.Index(
                                fields=["state", "next_attempt_at"],
                                name="registratio_state_4dd42d_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=False),
    ]
