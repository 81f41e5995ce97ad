"""A line's "dormant after" months: the managers' settings page and /api/v1/lifecycle-settings/,
audited like the other settings; what other roles, bad ids and bad values get."""

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import LineLifecycleSetting
from renewals.models import SettingsChange
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db
PAGE = "/settings/lifecycle/"
API = "/api/v1/lifecycle-settings/"


def months_of(code: str) -> int | None:
    setting = LineLifecycleSetting.objects.filter(line=line(code)).first()
    return setting.dormant_after_months if setting else None


def test_the_page_lists_every_line_with_its_months_and_saves_a_change_audited(
    client_for, manager, django_assert_max_num_queries
):
    # given auto with its own setting (6) and the other lines on the default (12)
    LineLifecycleSetting.objects.create(line=line("auto"), dormant_after_months=6)
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        page = client.get(PAGE)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert f'id="dormant-{line("auto").pk}" value="6"' in html
    assert f'id="dormant-{line("health").pk}" value="12"' in html
    # when the manager sets health to 18 months, as the row's form posts it
    response = client.post(PAGE, {"line_id": str(line("health").pk), "dormant_after_months": "18"})
    # then it is saved and in the settings audit log with the old and new value
    assert response.status_code == 302 and response["Location"] == PAGE
    assert months_of("health") == 18
    change = SettingsChange.objects.get(area="lifecycle")
    assert (change.actor, change.object_repr, change.changes) == (
        manager,
        "health",
        {"dormant_after_months": ["12", "18"]},
    )
    # and saving the same value again writes no audit row
    client.post(PAGE, {"line_id": str(line("health").pk), "dormant_after_months": "18"})
    assert SettingsChange.objects.filter(area="lifecycle").count() == 1
    # and the settings overview links to the page
    assert PAGE in client.get(reverse("renewals:settings")).content.decode()


def test_other_roles_cannot_open_or_post_the_page(client_for, specialist, support):
    for user in (specialist, support):
        client = client_for(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"line_id": str(line("auto").pk), "dormant_after_months": "3"}).status_code == 403
    assert months_of("auto") is None
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.parametrize(
    "posted",
    [
        {"line_id": "999999", "dormant_after_months": "6"},
        {"line_id": "99999999999999999999999", "dormant_after_months": "6"},
        {"line_id": "abc", "dormant_after_months": "6"},
        {"line_id": "1\x00", "dormant_after_months": "6"},
        {"dormant_after_months": "6"},
        {"line_id": "LINE", "dormant_after_months": "0"},
        {"line_id": "LINE", "dormant_after_months": "121"},
        {"line_id": "LINE", "dormant_after_months": "9" * 40},
        {"line_id": "LINE", "dormant_after_months": "6\x00"},
        {"line_id": "LINE", "dormant_after_months": ""},
    ],
)
def test_bad_posts_change_nothing(client_for, manager, posted):
    posted = {key: (str(line("auto").pk) if value == "LINE" else value) for key, value in posted.items()}
    response = client_for(manager).post(PAGE, posted)
    # (a NUL byte is refused before the view, with a 400)
    assert response.status_code == (400 if any("\x00" in value for value in posted.values()) else 302)
    assert months_of("auto") is None
    assert not SettingsChange.objects.filter(area="lifecycle").exists()


def test_api_lists_and_managers_change_the_months(client_for, manager, specialist):
    LineLifecycleSetting.objects.create(line=line("auto"), dormant_after_months=6)
    rows = {row["code"]: row for row in client_for(specialist).get(API).json()}
    assert rows["auto"] == {"line": line("auto").pk, "code": "auto", "dormant_after_months": 6, "is_default": False}
    assert rows["health"]["dormant_after_months"] == 12 and rows["health"]["is_default"] is True
    url = f"{API}{line('health').pk}/"
    assert client_for(specialist).get(url).json()["dormant_after_months"] == 12
    # a specialist may not change it
    refused = client_for(specialist).patch(url, {"dormant_after_months": 3}, content_type="application/json")
    assert refused.status_code == 403 and months_of("health") is None
    # a manager may, audited
    changed = client_for(manager).patch(url, {"dormant_after_months": 24}, content_type="application/json")
    assert changed.status_code == 200
    assert changed.json() == {
        "line": line("health").pk,
        "code": "health",
        "dormant_after_months": 24,
        "is_default": False,
    }
    assert SettingsChange.objects.get(area="lifecycle").actor == manager


def test_api_patch_without_the_months_changes_nothing(client_for, manager):
    LineLifecycleSetting.objects.create(line=line("auto"), dormant_after_months=6)
    response = client_for(manager).patch(f"{API}{line('auto').pk}/", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["dormant_after_months"] == 6
    assert months_of("auto") == 6 and not SettingsChange.objects.filter(area="lifecycle").exists()


@pytest.mark.parametrize("value", [0, 121, 10**30, None, "six", "6\x00", 6.5])
def test_api_refuses_bad_values(client_for, manager, value):
    url = f"{API}{line('auto').pk}/"
    response = client_for(manager).patch(url, {"dormant_after_months": value}, content_type="application/json")
    assert response.status_code == 400
    assert "dormant_after_months" in response.json()["errors"]
    assert months_of("auto") is None


@pytest.mark.parametrize("line_id", ["999999", "9223372036854775808", "99999999999999999999999"])
def test_api_answers_404_to_unknown_lines(client_for, manager, line_id):
    client = client_for(manager)
    assert client.get(f"{API}{line_id}/").status_code == 404
    assert (
        client.patch(f"{API}{line_id}/", {"dormant_after_months": 6}, content_type="application/json").status_code
        == 404
    )
    assert not LineLifecycleSetting.objects.exists()


def test_api_refuses_anonymous_and_other_methods(client_for, manager):
    assert Client().get(API).status_code in (401, 403)
    client = client_for(manager)
    assert client.post(API, {"dormant_after_months": 6}, content_type="application/json").status_code == 405
    assert client.delete(f"{API}{line('auto').pk}/").status_code == 405
