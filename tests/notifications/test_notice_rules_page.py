"""The notice rules settings page: what a manager sees, the forms as the page posts them (prefixes
"rule" and "end"), refusals shown on the page, other roles refused, a bounded query count."""

import datetime as dt

import pytest
import time_machine

from notifications.models import NoticeRule
from renewals.models import SettingsChange
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db
URL = "/notifications/notice-rules/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def _post(**overrides):
    data = {
        "rule-line": str(line("auto").pk),
        "rule-region": "Zhejiang",
        "rule-notice_type": "renewal",
        "rule-min_days": "30",
        "rule-max_days": "40",
        "rule-rate_rise_percent": "",
        "rule-proof_channels": ["email", "letter"],
        "rule-effective_from": "2027-01-01",
        "rule-effective_to": "",
    }
    data.update(overrides)
    return data


def test_the_page_lists_the_seeded_default_rules(client_for, manager, django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "at least 45 days before expiry" in text  # auto and health's default lead time
    assert "at least 60 days before expiry" in text  # property's
    assert "rise above 10.00%" in text
    assert 'name="rule-min_days"' in text and 'name="end-effective_to"' in text
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]


def test_a_manager_adds_a_region_window_as_the_page_posts_it(client_for, manager):
    response = client_for(manager).post(URL, _post())
    assert response.status_code == 302
    rule = NoticeRule.objects.get(region="Zhejiang")
    assert (rule.min_days, rule.max_days, rule.proof_channels) == (30, 40, ["email", "letter"])
    assert rule.created_by == manager
    page = client_for(manager).get(URL).content.decode()
    assert "Zhejiang · 30–40 days before expiry" in page
    assert SettingsChange.objects.filter(area="notice_rule", actor=manager).count() == 1


def test_a_refused_rule_shows_why_and_saves_nothing(client_for, manager):
    response = client_for(manager).post(URL, _post(**{"rule-max_days": "20"}))
    assert response.status_code == 400
    assert "must not be fewer days before expiry" in response.content.decode()
    assert not NoticeRule.objects.filter(region="Zhejiang").exists()


def test_a_post_without_the_prefix_is_refused(client_for, manager):
    unprefixed = {key.removeprefix("rule-"): value for key, value in _post().items()}
    assert client_for(manager).post(URL, unprefixed).status_code == 400
    assert not NoticeRule.objects.filter(region="Zhejiang").exists()


def test_a_manager_end_dates_a_rule_from_its_row(client_for, manager):
    rule = NoticeRule.objects.filter(line=line("auto"), notice_type="renewal").get()
    response = client_for(manager).post(f"{URL}{rule.pk}/end/", {"end-effective_to": "2027-06-30"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.effective_to == dt.date(2027, 6, 30)
    # an end date in the past is refused on the page
    response = client_for(manager).post(f"{URL}{rule.pk}/end/", {"end-effective_to": "2026-01-01"})
    assert response.status_code == 400
    assert "notices already owed keep their rule" in response.content.decode()
    rule.refresh_from_db()
    assert rule.effective_to == dt.date(2027, 6, 30)


def test_an_unknown_rule_answers_404(client_for, manager):
    assert client_for(manager).post(f"{URL}99999999/end/", {"end-effective_to": "2027-06-30"}).status_code == 404


@pytest.mark.parametrize("role", ["specialist", "support"])
def test_other_roles_are_refused(client_for, request, role):
    client = client_for(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, _post()).status_code == 403
    assert not NoticeRule.objects.filter(region="Zhejiang").exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
