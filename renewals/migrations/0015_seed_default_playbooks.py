"""One default playbook per seeded line: it matches every case of its line and keeps today's
behaviour (the line's whole reminder schedule and call steps, the usual balancing, each specialist's
own authority, no first-contact target)."""

from django.db import migrations


def seed(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    Playbook = apps.get_model("renewals", "Playbook")
    PlaybookVersion = apps.get_model("renewals", "PlaybookVersion")
    for line in Line.objects.all():
        if Playbook.objects.filter(line=line, is_default=True).exists():
            continue
        code = f"{line.code}-standard"[:32]
        if Playbook.objects.filter(code=code).exists():
            continue
        playbook = Playbook.objects.create(
            code=code,
            name=f"{line.name}: standard",
            name_zh_hans=f"{line.name_zh_hans or line.name}：标准",
            line=line,
            position=1000,
            is_default=True,
        )
        version = PlaybookVersion.objects.create(
            playbook=playbook, number=1, note="Seeded: the line's behaviour before playbooks."
        )
        playbook.current_version = version
        playbook.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("renewals", "0014_playbooks")]
    # Reversed: nothing to undo (0014's reverse drops the tables; cases may point at these versions).
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
