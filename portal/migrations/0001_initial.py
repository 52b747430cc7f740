"""Papers move here from the workshop app, with their rows and files: this migration only
takes the model over in Django's state (the table `workshop_paper` stays as it is;
`workshop.0005` drops the model from that app's state). `0002` renames the table."""

import django.db.models.deletion
from django.db import migrations, models

import portal.models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="portal", model="paper"):
        ContentType.objects.using(db).filter(app_label="workshop", model="paper").update(
            app_label="portal"
        )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="workshop", model="paper"):
        ContentType.objects.using(db).filter(app_label="portal", model="paper").update(
            app_label="workshop"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("workshop", "0004_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Paper",
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
                        (
                            "file",
                            models.FileField(
                                max_length=300,
                                storage=portal.models.private_storage,
                                upload_to=portal.models.paper_path,
                            ),
                        ),
                        ("original_name", models.CharField(max_length=255)),
                        ("size", models.PositiveIntegerField()),
                        ("uploaded_at", models.DateTimeField(auto_now=True)),
                        (
                            "session",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="paper",
                                to="workshop.session",
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="uploaded_papers",
                                to="workshop.person",
                            ),
                        ),
                    ],
                    options={"ordering": ["-uploaded_at"], "db_table": "workshop_paper"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=False),
    ]
