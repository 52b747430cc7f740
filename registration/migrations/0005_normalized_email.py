"""Registrants' addresses in canonical form (`workshop.addresses`), with the rule frozen in
`workshop.0006`. A row whose canonical form would collide with another registration of the same
event keeps its address: the unique constraint stands, and the organizers see both rows."""

import importlib

from django.db import migrations, models

import workshop.addresses

canonical = importlib.import_module("workshop.migrations.0006_normalized_person_email").canonical


def normalize_registrations(apps, schema_editor):
    Registration = apps.get_model("registration", "Registration")
    taken = {
        (event_id, email.lower())
        for event_id, email in Registration.objects.values_list("event_id", "email")
    }
    changed = []
    for registration in Registration.objects.only("pk", "event_id", "email").iterator():
        address = canonical(registration.email)
        key = (registration.event_id, address.lower())
        if address == registration.email or (
            key in taken and address.lower() != registration.email.lower()
        ):
            continue
        taken.add(key)
        registration.email = address
        changed.append(registration)
    Registration.objects.bulk_update(changed, ["email"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0004_outgoingemail_moves_to_mailing"),
        ("workshop", "0006_normalized_person_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="registration",
            name="email",
            field=models.EmailField(
                max_length=254, validators=[workshop.addresses.validate_address]
            ),
        ),
        migrations.RunPython(normalize_registrations, migrations.RunPython.noop),
    ]
