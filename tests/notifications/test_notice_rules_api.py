"""``/api/v1/notice-rules/``: staff read, managers add versions and end-date them; attacks refused."""

import datetime as dt

import pytest
import time_machine

from notifications.models import NoticeRule
from renewals.models import SettingsChange
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db
URL = "/api/v1/notice-rules/"
TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def _body(**overrides):
    body = {
        "line": "auto",
        "region": "Zhejiang",
        "notice_type": "renewal",
        "min_days": 30,
        "max_days": 40,
        "proof_channels": ["email", "letter"],
        "effective_from": "2027-01-01",
    }
    body.update(overrides)
    return body


def test_a_manager_adds_a_version_and_staff_read_it(api, manager, specialist):
    # when a manager posts a Zhejiang window rule
    created = api(manager).post(URL, _body(), format="json")
    # then it is stored and audited, and a specialist reads it back
    assert created.status_code == 201, created.content
    rule = NoticeRule.objects.get(pk=created.json()["id"])
    assert (rule.region, rule.min_days, rule.max_days, rule.effective_to) == ("Zhejiang", 30, 40, None)
    assert SettingsChange.objects.filter(area="notice_rule", actor=manager).exists()
    listed = api(specialist).get(URL, {"line": "auto", "region": "Zhejiang"})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [rule.pk]
    assert listed.json()["results"][0]["proof_channels"] == ["email", "letter"]


def test_a_manager_end_dates_a_rule_and_nothing_else_changes(api, manager):
    rule_id = api(manager).post(URL, _body(), format="json").json()["id"]
    ended = api(manager).patch(f"{URL}{rule_id}/", {"effective_to": "2027-01-31", "min_days": 1}, format="json")
    assert ended.status_code == 200, ended.content
    rule = NoticeRule.objects.get(pk=rule_id)
    assert (rule.effective_to, rule.min_days) == (dt.date(2027, 1, 31), 30)
    assert ended.json()["effective_to"] == "2027-01-31"


def test_an_empty_patch_changes_nothing(api, manager):
    rule = NoticeRule.objects.filter(line=line("auto")).first()
    response = api(manager).patch(f"{URL}{rule.pk}/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["effective_to"] is None
    assert not SettingsChange.objects.filter(area="notice_rule").exists()


def test_there_is_no_delete_and_no_put(api, manager):
    rule = NoticeRule.objects.filter(line=line("auto")).first()
    assert api(manager).delete(f"{URL}{rule.pk}/").status_code == 405
    assert api(manager).put(f"{URL}{rule.pk}/", _body(), format="json").status_code == 405
    assert NoticeRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("role", ["specialist", "support"])
def test_other_roles_cannot_write(api, request, role):
    user = request.getfixturevalue(role)
    rule = NoticeRule.objects.first()
    assert api(user).post(URL, _body(), format="json").status_code == 403
    assert api(user).patch(f"{URL}{rule.pk}/", {"effective_to": "2027-01-31"}, format="json").status_code == 403
    assert not NoticeRule.objects.filter(region="Zhejiang").exists()


def test_anonymous_gets_nothing(api):
    assert api().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"region": "Atlantis"}, 400, "region"),
        ({"region": "Zhe\x00jiang"}, 400, "region"),
        ({"line": "nope"}, 400, "line"),
        ({"min_days": 10**9}, 400, "min_days"),
        ({"min_days": -1}, 400, "min_days"),
        ({"min_days": "30"}, 201, None),  # DRF reads a numeric string as the integer, like every API int
        ({"max_days": 20}, 409, "max_days"),
        ({"proof_channels": []}, 400, "proof_channels"),
        ({"proof_channels": ["call"]}, 400, "proof_channels.0"),
        ({"proof_channels": "email"}, 400, "proof_channels"),
        ({"rate_rise_percent": "1e9"}, 400, "rate_rise_percent"),
        ({"notice_type": "adverse_change"}, 409, "rate_rise_percent"),
        ({"effective_from": "2020-01-01"}, 409, "effective_from"),
        ({"effective_from": "not a date"}, 400, "effective_from"),
        ({"effective_to": "2026-11-15"}, 409, "effective_to"),
    ],
)
def test_bad_bodies_are_refused_with_the_field(api, manager, overrides, status, field):
    response = api(manager).post(URL, _body(**overrides), format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"]
        assert not NoticeRule.objects.filter(region="Zhejiang").exists()


@pytest.mark.parametrize("rule_id", ["0", "99999999", "9" * 30, "abc"])
def test_bad_ids_answer_404(api, manager, rule_id):
    assert api(manager).get(f"{URL}{rule_id}/").status_code == 404
    assert api(manager).patch(f"{URL}{rule_id}/", {"effective_to": "2027-01-31"}, format="json").status_code == 404


def test_an_ended_rule_cannot_be_reopened(api, manager):
    rule = NoticeRule.objects.filter(line=line("auto")).first()
    NoticeRule.objects.filter(pk=rule.pk).update(effective_to=dt.date(2026, 10, 1))
    response = api(manager).patch(f"{URL}{rule.pk}/", {"effective_to": "2030-01-01"}, format="json")
    assert response.status_code == 409
    assert NoticeRule.objects.get(pk=rule.pk).effective_to == dt.date(2026, 10, 1)


def test_the_list_pages_in_few_queries(api, manager, django_assert_max_num_queries):
    client = api(manager)
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200


def test_a_rule_starting_before_the_owed_notices_is_refused_in_the_callers_language(api, manager):
    # given auto's 45-day default rules, when a manager posts a 60-day rule from today (2026-11-01)
    response = api(manager).post(
        URL,
        _body(min_days=60, max_days=None, effective_from="2026-11-01"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    # then 409 names effective_from, in Chinese, with the 60 days it must wait
    assert response.status_code == 409, response.content
    message = " ".join(response.json()["errors"]["effective_from"])
    assert "已应发出的通知沿用原规则" in message and "60" in message
    # and 60 days from today is accepted
    assert (
        api(manager)
        .post(URL, _body(min_days=60, max_days=None, effective_from="2026-12-31"), format="json")
        .status_code
        == 201
    )
