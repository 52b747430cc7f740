"""People's addresses in canonical form (`workshop.addresses`): the domain lower-cased and
IDNA-encoded, so that lookups compare them exactly as the unique constraints do. Addresses that
cannot be delivered are left as they are (an organizer sees the validation error on the next
edit). The rule is frozen here, as a migration must not change with later code."""

import idna
from django.db import migrations, models

import workshop.addresses


def canonical(address: str) -> str:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not local.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError):
        return address


def normalize_people(apps, schema_editor):
    Person = apps.get_model("workshop", "Person")
    changed = []
    for person in Person.objects.exclude(email="").only("pk", "email").iterator():
        address = canonical(person.email)
        if address != person.email:
            person.email = address
            changed.append(person)
    Person.objects.bulk_update(changed, ["email"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("workshop", "0005_paper_moves_to_portal"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="email",
            field=models.EmailField(
                blank=True,
                help_text="Never shown publicly.",
                max_length=254,
                validators=[workshop.addresses.validate_address],
            ),
        ),
        migrations.RunPython(normalize_people, migrations.RunPython.noop),
    ]
