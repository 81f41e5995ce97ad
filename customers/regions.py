"""The regions the product knows: their translated names and their time zones.

``Customer.region`` keeps the value the core system sends (the English name, "Anhui"); pages show
``region_label`` so a Chinese interface reads 安徽. A region not listed here is shown as stored.
"""

import functools
import zoneinfo

from django.utils.translation import gettext_lazy as _

# Every province-level region of the demo book and the import (demo/reference.py), in its order.
REGION_LABELS = {
    "Guangdong": _("Guangdong"),
    "Jiangsu": _("Jiangsu"),
    "Shandong": _("Shandong"),
    "Zhejiang": _("Zhejiang"),
    "Henan": _("Henan"),
    "Sichuan": _("Sichuan"),
    "Beijing": _("Beijing"),
    "Shanghai": _("Shanghai"),
    "Hebei": _("Hebei"),
    "Hubei": _("Hubei"),
    "Hunan": _("Hunan"),
    "Fujian": _("Fujian"),
    "Anhui": _("Anhui"),
    "Liaoning": _("Liaoning"),
    "Shaanxi": _("Shaanxi"),
    "Chongqing": _("Chongqing"),
    "Jiangxi": _("Jiangxi"),
    "Guangxi": _("Guangxi"),
    "Yunnan": _("Yunnan"),
    "Shanxi": _("Shanxi"),
    "Heilongjiang": _("Heilongjiang"),
    "Tianjin": _("Tianjin"),
    "Guizhou": _("Guizhou"),
    "Inner Mongolia": _("Inner Mongolia"),
    "Jilin": _("Jilin"),
    "Xinjiang": _("Xinjiang"),
    "Gansu": _("Gansu"),
    "Hainan": _("Hainan"),
    "Ningxia": _("Ningxia"),
    "Qinghai": _("Qinghai"),
    "Tibet": _("Tibet"),
    "Hong Kong": _("Hong Kong"),
    "Macau": _("Macau"),
    "Taiwan": _("Taiwan"),
}

MAINLAND_TIME_ZONE = "Asia/Shanghai"  # China Standard Time, one zone for the whole mainland
# Regions outside the mainland zone; every other known region is on MAINLAND_TIME_ZONE.
_OWN_TIME_ZONES = {"Hong Kong": "Asia/Hong_Kong", "Macau": "Asia/Macau", "Taiwan": "Asia/Taipei"}
REGION_TIME_ZONES = {region: _OWN_TIME_ZONES.get(region, MAINLAND_TIME_ZONE) for region in REGION_LABELS}


def region_label(region: str):
    """The region's name in the active language; an unknown region as stored."""
    return REGION_LABELS.get(region, region)


def default_time_zone(region: str) -> str:
    """The IANA time zone of ``region`` when the product knows it, else "" (the site's time zone)."""
    return REGION_TIME_ZONES.get((region or "").strip(), "")


@functools.cache
def time_zone_names() -> frozenset[str]:
    """IANA time zone names a customer may have (``zoneinfo``'s list without the host's aliases)."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory", "posixrules"})


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()
