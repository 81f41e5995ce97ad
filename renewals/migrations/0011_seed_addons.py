"""A plausible starting catalogue of riders and value-added services for the seeded lines."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

# code, line, kind, pricing, amount, segments, (attribute, max), provider, capacity,
# (name en, name zh), (description en, description zh)
CATALOGUE = [
    (
        "auto-road-assist",
        "auto",
        "service",
        "free",
        "0",
        [],
        ("", None),
        "China Road Rescue",
        "24/7, nationwide",
        ("Road assistance", "道路救援"),
        ("Towing, jump start and tyre change around the clock.", "全天候拖车、搭电和换胎服务。"),
    ),
    (
        "auto-inspection",
        "auto",
        "service",
        "free",
        "0",
        ["high_value", "vip"],
        ("", None),
        "AutoCheck",
        "About 400 slots a month per city",
        ("Free annual vehicle inspection", "免费年检"),
        ("We book and pay the yearly roadworthiness inspection.", "代办并承担年度车辆年检费用。"),
    ),
    (
        "auto-glass",
        "auto",
        "rider",
        "fixed",
        "320",
        [],
        ("", None),
        "",
        "",
        ("Glass breakage rider", "玻璃单独破碎险"),
        (
            "Windscreen and windows repaired or replaced without touching the no-claims discount.",
            "挡风玻璃及车窗破碎的维修或更换，不影响无赔款优待。",
        ),
    ),
    (
        "auto-driver-pa",
        "auto",
        "rider",
        "share",
        "6",
        [],
        ("vehicle_age", "12"),
        "",
        "",
        ("Driver and passenger accident rider", "车上人员责任险"),
        ("Medical costs of the driver and passengers after an accident.", "事故后驾乘人员的医疗费用。"),
    ),
    (
        "health-care-mgmt",
        "health",
        "service",
        "free",
        "0",
        [],
        ("", None),
        "WellCare",
        "Phone line 8:00-22:00",
        ("Health management", "健康管理"),
        ("A yearly check-up and a nurse on the phone.", "每年一次体检和电话护士咨询。"),
    ),
    (
        "health-critical",
        "health",
        "rider",
        "share",
        "15",
        [],
        ("", None),
        "",
        "",
        ("Critical illness rider", "重大疾病附加险"),
        ("A lump sum on diagnosis of one of 100 critical illnesses.", "确诊100种重大疾病之一即一次性给付。"),
    ),
    (
        "health-dental",
        "health",
        "rider",
        "fixed",
        "680",
        [],
        ("", None),
        "",
        "",
        ("Dental rider", "齿科附加险"),
        ("Check-ups, fillings and extractions.", "口腔检查、补牙和拔牙。"),
    ),
    (
        "property-flood",
        "property",
        "rider",
        "share",
        "8",
        [],
        ("", None),
        "",
        "",
        ("Flood and storm rider", "洪水暴雨附加险"),
        ("Damage by flood, storm and burst pipes.", "洪水、暴雨及水管爆裂造成的损失。"),
    ),
    (
        "property-repair",
        "property",
        "service",
        "fixed",
        "199",
        [],
        ("", None),
        "HomeFix",
        "Two visits a year",
        ("Home repair service", "居家维修服务"),
        ("A handyman for small repairs, two visits a year.", "每年两次上门小修服务。"),
    ),
]


def seed(apps, schema_editor):
    AddOn = apps.get_model("renewals", "AddOn")
    Line = apps.get_model("renewals", "LineOfInsurance")
    lines = {line.code: line for line in Line.objects.all()}
    for code, line, kind, pricing, amount, segments, (attr, attr_max), provider, capacity, names, texts in CATALOGUE:
        if line not in lines or AddOn.objects.filter(code=code).exists():
            continue
        AddOn.objects.create(
            code=code,
            line=lines[line],
            kind=kind,
            pricing=pricing,
            amount=Decimal(amount),
            segments=segments,
            attribute_name=attr,
            attribute_max=Decimal(attr_max) if attr_max else None,
            provider=provider,
            capacity_note=capacity,
            name=names[0],
            name_zh_hans=names[1],
            description=texts[0],
            description_zh_hans=texts[1],
            active_from=dt.date(2020, 1, 1),
        )


class Migration(migrations.Migration):
    dependencies = [("renewals", "0010_addons")]
    operations = [migrations.RunPython(seed)]
