"""Seed the three lines of insurance and the lost reasons; managers edit them later."""

from django.db import migrations

LINES = [
    # code, name, name_zh, window, grace, notice lead, term months, order
    ("auto", "Auto", "车险", 60, 30, 45, 12, 10),
    ("health", "Health", "健康险", 60, 30, 45, 12, 20),
    ("property", "Property", "财产险", 90, 30, 60, 12, 30),
]
REASONS = [
    ("price", "Price", "价格", "lost", 10),
    ("service", "Service", "服务", "lost", 20),
    ("needs_changed", "Needs changed", "需求变化", "lost", 30),
    ("competitor", "Went to a competitor", "转投竞争对手", "lost", 40),
    ("asset_sold", "Asset sold", "标的已出售", "lost", 50),
    ("other", "Other", "其他", "lost", 90),
    ("underwriting", "Underwriting decline", "核保拒保", "not_offered", 110),
    ("fraud_risk", "Fraud risk", "欺诈风险", "not_offered", 120),
    ("product_withdrawn", "Product withdrawn", "产品停售", "not_offered", 130),
]


def forwards(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    for code, name, name_zh, window, grace, notice, term, order in LINES:
        Line.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_zh_hans": name_zh,
                "renewal_window_days": window,
                "grace_days": grace,
                "notice_lead_days": notice,
                "term_months": term,
                "sort_order": order,
            },
        )
    LostReason = apps.get_model("renewals", "LostReason")
    for code, name, name_zh, kind, order in REASONS:
        LostReason.objects.get_or_create(
            code=code, defaults={"name": name, "name_zh_hans": name_zh, "kind": kind, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("renewals", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
