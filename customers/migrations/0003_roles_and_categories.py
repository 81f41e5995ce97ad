"""Create the three role groups and the default complaint categories."""

from django.db import migrations

CATEGORIES = [
    ("price", "Price", "价格", 10),
    ("claims", "Claims", "理赔", 20),
    ("service", "Service", "服务", 30),
    ("renewal_process", "Renewal process", "续保流程", 40),
    ("billing", "Billing", "账单", 50),
    ("other", "Other", "其他", 90),
]
GROUPS = ["specialist", "manager", "support"]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    ComplaintCategory = apps.get_model("customers", "ComplaintCategory")
    for code, name, name_zh, order in CATEGORIES:
        ComplaintCategory.objects.get_or_create(
            code=code, defaults={"name": name, "name_zh_hans": name_zh, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("customers", "0002_initial"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
