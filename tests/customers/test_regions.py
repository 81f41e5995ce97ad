"""Region names are labels like every other: 安徽 in the Chinese interface, Anhui in English
(issue 12: "Provinces show in English in the Chinese interface")."""

import pytest
from django.utils import translation

from customers.regions import REGION_LABELS, REGION_TIME_ZONES
from demo.reference import PROVINCES
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_every_region_of_the_demo_book_has_a_label_and_a_time_zone():
    for province, _weight in PROVINCES:
        assert province in REGION_LABELS and province in REGION_TIME_ZONES


@pytest.mark.parametrize(("region", "chinese"), [("Anhui", "安徽"), ("Shandong", "山东"), ("Inner Mongolia", "内蒙古")])
def test_region_label_follows_the_language(region, chinese):
    customer = CustomerFactory.build(region=region)
    with translation.override("zh-hans"):
        assert str(customer.region_label) == chinese
    with translation.override("en"):
        assert str(customer.region_label) == region


def test_every_region_is_translated_to_chinese():
    with translation.override("zh-hans"):
        untranslated = [region for region, label in REGION_LABELS.items() if str(label) == region]
    assert untranslated == []


def test_an_unknown_region_is_shown_as_stored():
    with translation.override("zh-hans"):
        assert CustomerFactory.build(region="Atlantis").region_label == "Atlantis"


def test_search_results_show_the_region_in_the_users_language(client, support):
    CustomerFactory(name="Wang Xiaoming", region="Anhui")
    client.force_login(support)
    body = client.post("/customers/search/", {"q": "xiaom"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "安徽" in body and "Anhui" not in body
