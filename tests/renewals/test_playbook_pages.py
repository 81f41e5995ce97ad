"""The playbooks settings pages (managers), the live match count, and the case page's playbook card."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import Customer
from renewals.models import LostReason, Playbook, RenewalCase, SettingsChange
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import CASE_PAGE_QUERIES, PolicyFactory, RenewalCaseFactory, line
from tests.renewals.playbook_factories import default_playbook, vip_playbook

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 12, 31)


def vip_case(playbook, **extra):
    policy = PolicyFactory(end_date=DUE, customer=CustomerFactory(segment=Customer.Segment.VIP))
    return RenewalCaseFactory(policy=policy, playbook_version=playbook.current_version, **extra)


def test_only_managers_open_the_playbook_pages(client_for, specialist, support, manager):
    playbook = vip_playbook(manager)
    for user in (specialist, support):
        client = client_for(user)
        assert client.get("/settings/playbooks/").status_code == 403
        assert client.get(f"/settings/playbooks/{playbook.pk}/").status_code == 403
        assert client.get("/settings/playbooks/match-count/?pb-segments=vip").status_code == 403
        assert client.post(f"/settings/playbooks/{playbook.pk}/reapply/").status_code == 403
        assert client.post(f"/settings/playbooks/{playbook.pk}/retire/").status_code == 403
    assert Playbook.objects.get(pk=playbook.pk).status == "active"


def test_the_list_shows_the_order_with_defaults_last(client_for, manager, django_assert_max_num_queries):
    vip_playbook(manager)
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        response = client.get("/settings/playbooks/")
    body = response.content.decode()
    assert (
        response.status_code == 200
        and response["Cache-Control"].startswith("no-store")
        or "no-store" in response["Cache-Control"]
    )
    assert body.index("VIP care") < body.index("Auto: standard") < body.index("Property: standard")


def test_a_manager_creates_a_playbook_with_the_form(client_for, manager):
    response = client_for(manager).post(
        "/settings/playbooks/new/",
        {
            "pb-code": "health-vip",
            "pb-line": line("health").pk,
            "pb-name": "Health VIP",
            "pb-name_zh_hans": "健康险 VIP",
            "pb-position": "5",
            "pb-segments": ["vip", "high_value"],
            "pb-regions": "Beijing, Shanghai",
            "pb-remind_by_email": "on",
            "pb-call_tasks": "on",
            "pb-assignment_skill": "senior",
            "pb-discount_authority_percent": "12.5",
            "pb-first_contact_days": "3",
        },
    )
    playbook = Playbook.objects.get(code="health-vip")
    assert response.status_code == 302 and response["Location"] == f"/settings/playbooks/{playbook.pk}/"
    version = playbook.current_version
    assert (version.segments, version.regions) == (["high_value", "vip"], ["Beijing", "Shanghai"])
    assert (version.remind_by_email, version.remind_by_sms, version.call_tasks) == (True, False, True)
    assert version.discount_authority_percent == Decimal("12.50") and version.first_contact_days == 3
    assert SettingsChange.objects.filter(area="playbook", object_repr="health-vip", actor=manager).exists()


def test_editing_through_the_form_makes_a_new_version_and_the_page_lists_both(
    client_for, manager, django_assert_max_num_queries
):
    playbook = vip_playbook(manager)
    client = client_for(manager)
    page = client.get(f"/settings/playbooks/{playbook.pk}/")
    form = page.context["form"]
    data = {f"pb-{name}": value for name, value in form.initial.items() if value not in (None, [], False)}
    data["pb-segments"] = form.initial["segments"]
    data["pb-first_contact_days"] = "1"
    assert client.post(f"/settings/playbooks/{playbook.pk}/", data).status_code == 302
    playbook.refresh_from_db()
    assert playbook.current_version.number == 2 and playbook.current_version.first_contact_days == 1
    assert playbook.current_version.discount_authority_percent == Decimal("15.00")  # kept
    with django_assert_max_num_queries(14):
        body = client.get(f"/settings/playbooks/{playbook.pk}/").content.decode()
    assert "v2" in body and "v1" in body


def test_the_live_count_says_how_many_open_cases_match_and_would_get_it(client_for, manager):
    playbook = vip_playbook(manager)
    for _ in range(3):
        vip_case(default_playbook())
    RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))  # standard
    RenewalCaseFactory(
        policy=PolicyFactory(end_date=DUE, customer=CustomerFactory(segment="vip")),
        stage="lost",
        lost_reason=LostReason.objects.filter(kind="lost").first(),
    )
    client = client_for(manager)
    # a new rule for VIPs at position 50 comes after the VIP playbook (10): it matches 3, gets none
    body = client.get(
        "/settings/playbooks/match-count/", {"pb-segments": "vip", "pb-position": "50", "pb-line": line("auto").pk}
    ).content.decode()
    assert "3 open cases match this rule" in body and "0 would get it" in body
    # the VIP playbook itself (editing it) gets all three
    body = client.get(
        "/settings/playbooks/match-count/", {"playbook": playbook.pk, "pb-segments": "vip", "pb-position": "10"}
    ).content.decode()
    assert "3 would get it" in body
    # no conditions: every open case of every line matches
    assert "4 open cases match" in client.get("/settings/playbooks/match-count/").content.decode()


@pytest.mark.parametrize(
    ("bad", "status"), [("abc", 200), ("-1", 200), ("99999999999999999999999", 200), ("1\x00", 400)]
)
def test_bad_ids_are_refused(client_for, manager, bad, status):
    client = client_for(manager)
    # a malformed id counts the rule as a new playbook; a NUL byte is refused before the view
    assert client.get("/settings/playbooks/match-count/", {"playbook": bad}).status_code == status
    assert client.get("/settings/playbooks/999999/").status_code == 404
    assert client.post("/settings/playbooks/999999/reapply/").status_code == 404
    assert client.post("/settings/playbooks/999999/retire/").status_code == 404


def test_reapply_and_retire_from_the_list(client_for, manager, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the demo's and the tests' mode: done in the request
    playbook = vip_playbook(manager)
    case = vip_case(default_playbook())
    client = client_for(manager)
    response = client.post(f"/settings/playbooks/{playbook.pk}/reapply/", follow=True)
    assert "1 open case now follows the current version." in response.content.decode()
    assert RenewalCase.objects.get(pk=case.pk).playbook_version == playbook.current_version
    assert client.post(f"/settings/playbooks/{playbook.pk}/retire/").status_code == 302
    assert Playbook.objects.get(pk=playbook.pk).status == "retired"
    # a default cannot be retired: the page says why and nothing changes
    response = client.post(f"/settings/playbooks/{default_playbook().pk}/retire/", follow=True)
    assert "cannot be retired" in response.content.decode()


def test_the_case_page_says_which_playbook_and_why(client_for, manager, specialist, django_assert_max_num_queries):
    playbook = vip_playbook(manager)
    case = vip_case(playbook, assignee=specialist, next_action_date=dt.date(2026, 11, 3))
    standard = RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(end_date=DUE), playbook_version=default_playbook().current_version
    )
    client = client_for(specialist)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        body = client.get(f"/cases/{case.pk}/").content.decode()
    card = body[body.index('id="case-playbook"') :]
    card = card[: card.index("</section>")]
    assert "VIP care" in card and "v1" in card and "Segment: VIP" in card
    assert "e-mail only" in card and "from 10 days before expiry" in card and "senior" in card
    assert "Discount authority: 15%" in card and "First contact within 2 days" in card
    body = client.get(f"/cases/{standard.pk}/").content.decode()
    assert "Auto: standard" in body and "the line&#x27;s default" in body


def test_a_case_on_an_old_version_says_so(client_for, manager, specialist, django_assert_max_num_queries):
    from renewals.playbooks import services

    playbook = vip_playbook(manager)
    case = vip_case(playbook, assignee=specialist)
    services.playbook_update(actor=manager, playbook_id=playbook.pk, first_contact_days=1)
    client = client_for(specialist)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "current: v2" in body


def test_specialist_skills_are_saved_from_the_specialists_page(client_for, manager, specialist):
    response = client_for(manager).post(
        "/settings/specialists/", {"user_id": specialist.pk, "regions": "", "skills": "Senior, motor"}
    )
    assert response.status_code == 302
    specialist.specialist_profile.refresh_from_db()
    assert specialist.specialist_profile.skills == ["motor", "senior"]
    response = client_for(manager).post(
        "/settings/specialists/", {"user_id": specialist.pk, "regions": "", "skills": "se nior"}, follow=True
    )
    assert "short code" in response.content.decode()


def test_a_reapply_starts_in_the_background_and_says_so(
    client_for, manager, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from renewals import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr(tasks.reapply_playbook, "delay", lambda *args: sent.append(args))
    playbook = vip_playbook(manager)
    case = vip_case(default_playbook())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(f"/settings/playbooks/{playbook.pk}/reapply/", follow=True)
    assert "Re-apply started" in response.content.decode()
    assert sent == [(playbook.pk, manager.pk)]
    assert RenewalCase.objects.get(pk=case.pk).playbook_version == default_playbook().current_version


def test_the_reapply_message_is_plural_aware_in_both_languages(manager):
    from django.utils import translation

    from renewals.playbooks.services import reapply_message

    assert reapply_message(1) == "1 open case now follows the current version."
    assert reapply_message(3) == "3 open cases now follow the current version."
    with translation.override("zh-hans"):
        assert reapply_message(1) == "1 个未结案件已改用当前版本。"


def _hx_get_tags(body: str, url_part: str) -> list[str]:
    import re

    return [tag for tag in re.findall(r"<[a-z]+\b[^>]*>", body) if "hx-get=" in tag and url_part in tag]


def test_the_live_count_request_leaves_the_csrf_token_out(client_for, manager):
    playbook = vip_playbook(manager)
    for url in ("/settings/playbooks/new/", f"/settings/playbooks/{playbook.pk}/"):
        body = client_for(manager).get(url).content.decode()
        assert "csrfmiddlewaretoken" in body  # the POST form carries it ...
        tags = _hx_get_tags(body, "/settings/playbooks/match-count/")
        assert tags and all('hx-params="not csrfmiddlewaretoken"' in tag for tag in tags)  # ... the GET does not


def test_an_unknown_region_is_refused_on_the_form(client_for, manager):
    response = client_for(manager).post(
        "/settings/playbooks/new/",
        {"pb-code": "north", "pb-name": "North", "pb-position": "20", "pb-regions": "Beijing, Pekin"},
        follow=True,
    )
    assert "Unknown region: Pekin" in response.content.decode()
    assert not Playbook.objects.filter(code="north").exists()
