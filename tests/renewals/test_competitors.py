"""Competitors: the list managers keep (settings page and API, audited, retired not deleted), the
competitor a lost case went to (lose form and API), and competitor quotes on open cases."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError, PermissionDeniedError
from renewals.competitors import services as competitor_services
from renewals.models import Competitor, CompetitorQuote, SettingsChange, Stage
from tests.races import another_process_creates
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rival(manager):
    return competitor_services.competitor_save(actor=manager, code="rival-a", name="Rival A", name_zh_hans="对手甲")


@pytest.fixture
def case(specialist):
    return RenewalCaseFactory(
        policy=PolicyFactory(premium=D("3000.00"), end_date=dt.date(2026, 12, 31)), assignee=specialist
    )


# --- the settings page ---------------------------------------------------------------------


def test_a_manager_adds_renames_and_retires_a_competitor_audited(client_for, manager):
    client = client_for(manager)
    response = client.post(
        "/settings/competitors/",
        {
            "new-code": "rival-b",
            "new-name": "Rival B",
            "new-name_zh_hans": "对手乙",
            "new-active": "on",
            "new-sort_order": "2",
        },
    )
    assert response.status_code == 302
    rival = Competitor.objects.get(code="rival-b")
    assert (rival.name, rival.name_zh_hans, rival.active, rival.sort_order) == ("Rival B", "对手乙", True, 2)
    # The row form posts its id and unprefixed fields, as the page renders them; no "active" = retired.
    client.post(
        "/settings/competitors/",
        {"competitor_id": rival.pk, "name": "Rival B Ltd", "name_zh_hans": "对手乙", "sort_order": "2"},
    )
    rival.refresh_from_db()
    assert (rival.name, rival.active) == ("Rival B Ltd", False)
    audit = list(SettingsChange.objects.filter(area="competitor").order_by("id").values_list("object_repr", "changes"))
    assert audit[0][0] == "rival-b" and audit[0][1]["code"] == ["", "rival-b"]
    assert audit[1][1] == {"name": ["Rival B", "Rival B Ltd"], "active": ["True", "False"]}
    page = client.get("/settings/competitors/").content.decode()
    assert "Rival B Ltd" in page and "retired" in page


def test_the_settings_page_is_for_managers(client_for, specialist, support):
    for user in (specialist, support):
        assert client_for(user).get("/settings/competitors/").status_code == 403


def test_the_settings_page_refuses_bad_ids(client_for, manager):
    client = client_for(manager)
    assert client.post("/settings/competitors/", {"competitor_id": "x", "name": "A"}).status_code == 400
    assert client.post("/settings/competitors/", {"competitor_id": "999999", "name": "A"}).status_code == 404


def test_a_duplicate_code_is_a_conflict(manager, rival):
    with pytest.raises(ApplicationError) as error:
        competitor_services.competitor_save(actor=manager, code="rival-a", name="Again")
    assert (error.value.field, error.value.status) == ("code", 409)


# --- the lose form on the case page --------------------------------------------------------


def test_the_lose_form_records_the_competitor_and_its_premium(client_for, specialist, case, rival):
    client = client_for(specialist)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="lost-competitor"' in page and 'value="rival-a"' in page
    response = client.post(
        f"/cases/{case.pk}/lost/",
        {
            "lost-version": case.version,
            "lost-reason_code": "competitor",
            "lost-competitor": "rival-a",
            "lost-competitor_premium": "2700.00",
            "lost-note": "8% cheaper",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.LOST
    row = CompetitorQuote.objects.get(case=case)
    # No quote yet: our premium is the expiring one; the gap is (2700 − 3000) / 3000 = −10 %.
    assert (row.kind, row.competitor, row.premium, row.our_premium) == ("loss", rival, D("2700.00"), D("3000.00"))
    assert row.gap_percent == D("-10")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "lost to" in page and "2,700.00" in page and "-10.0%" in page


def test_a_competitor_with_another_reason_is_refused_and_nothing_closes(client_for, specialist, case, rival):
    client = client_for(specialist)
    response = client.post(
        f"/cases/{case.pk}/lost/",
        {"lost-version": case.version, "lost-reason_code": "price", "lost-competitor": "rival-a"},
        follow=True,
    )
    assert "only with the reason" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.OPEN and not CompetitorQuote.objects.exists()


def test_a_premium_without_a_competitor_is_refused(specialist, case, rival):
    from renewals import services

    with pytest.raises(ApplicationError) as error:
        services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="competitor", competitor_premium=D("10"))
    assert error.value.field == "competitor"


def test_a_retired_competitor_cannot_be_chosen(manager, specialist, case, rival):
    from renewals import services

    competitor_services.competitor_save(actor=manager, competitor_id=rival.pk, active=False)
    with pytest.raises(ApplicationError):
        services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="competitor", competitor_code="rival-a")


def test_losing_without_a_competitor_still_works(specialist, case, rival):
    from renewals import services

    services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="competitor")
    assert not CompetitorQuote.objects.exists()


# --- competitor quotes on an open case -----------------------------------------------------


def test_a_specialist_records_a_competitor_quote_beside_ours(client_for, specialist, case, rival):
    from renewals import services

    services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("0"))  # 3000 × 1.03 = 3090.00
    client = client_for(specialist)
    response = client.post(
        f"/cases/{case.pk}/competitor-quote/",
        {
            "competitor-competitor": "rival-a",
            "competitor-premium": "2950.50",
            "competitor-cover_notes": "no glass cover",
        },
    )
    assert response.status_code == 302
    row = CompetitorQuote.objects.get(case=case)
    assert (row.kind, row.premium, row.our_premium, row.cover_notes) == (
        "reshop",
        D("2950.50"),
        D("3090.00"),
        "no glass cover",
    )
    page = client.get(f"/cases/{case.pk}/").content.decode()
    # Side by side: our current quote and theirs, gap (2950.50 − 3090) / 3090 = −4.5 %.
    assert "Our current quote" in page and "3,090.00" in page and "2,950.50" in page and "-4.5%" in page
    assert "no glass cover" in page


def test_another_specialist_cannot_record_a_quote(client_for, other_specialist, case, rival):
    response = client_for(other_specialist).post(
        f"/cases/{case.pk}/competitor-quote/", {"competitor-competitor": "rival-a", "competitor-premium": "100"}
    )
    assert response.status_code == 403
    assert not CompetitorQuote.objects.exists()


@pytest.mark.parametrize("premium", ["0", "-5", "1e400", "12345678901234.00", "1.234", "abc"])
def test_bad_premiums_are_refused(specialist, case, rival, premium):
    with pytest.raises(ApplicationError) as error:
        competitor_services.competitor_quote_record(
            case_id=case.pk, actor=specialist, competitor_code="rival-a", premium=premium
        )
    assert error.value.field == "premium"


def test_a_closed_case_takes_no_quote(specialist, case, rival):
    from renewals import services

    services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="price")
    with pytest.raises(ApplicationError) as error:
        competitor_services.competitor_quote_record(
            case_id=case.pk, actor=specialist, competitor_code="rival-a", premium="1"
        )
    assert error.value.status == 409


def test_support_cannot_record(support, case, rival):
    with pytest.raises(PermissionDeniedError):
        competitor_services.competitor_quote_record(
            case_id=case.pk, actor=support, competitor_code="rival-a", premium="1"
        )


def test_the_case_page_query_count_stays_flat_with_competitor_quotes(
    client_for, specialist, case, rival, django_assert_max_num_queries
):
    for premium in ("2900", "2950", "3100"):
        competitor_services.competitor_quote_record(
            case_id=case.pk, actor=specialist, competitor_code="rival-a", premium=premium
        )
    client = client_for(specialist)
    client.get(f"/cases/{case.pk}/")  # warms the price curve's cache
    with django_assert_max_num_queries(18):
        assert client.get(f"/cases/{case.pk}/").status_code == 200


# --- the API -------------------------------------------------------------------------------


def test_api_managers_create_and_retire_competitors_others_read(api, manager, specialist, support):
    body = {"code": "rival-c", "name": "Rival C", "name_zh_hans": "对手丙"}
    for user in (specialist, support):
        assert api(user).post("/api/v1/competitors/", body, format="json").status_code == 403
    created = api(manager).post("/api/v1/competitors/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() == {
        "code": "rival-c",
        "name": "Rival C",
        "name_zh_hans": "对手丙",
        "active": True,
        "sort_order": 0,
    }
    retired = api(manager).patch("/api/v1/competitors/rival-c/", {"active": False}, format="json")
    assert retired.json()["active"] is False
    assert api(manager).delete("/api/v1/competitors/rival-c/").status_code == 405
    assert api(specialist).get("/api/v1/competitors/").json()["results"][0]["code"] == "rival-c"
    assert SettingsChange.objects.filter(area="competitor", object_repr="rival-c").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"code": "x", "name": "A\x00B"},
        {"code": "\u0003", "name": "A"},
        {"code": "x", "name": "A", "active": 1},
        {"code": "x", "name": 5},
        {"code": "x y", "name": "A"},
        {"code": "x", "name": "A", "sort_order": 10**9},
        {"code": "x" * 40, "name": "A"},
        {"code": "x", "name": "A" * 101},
    ],
)
def test_api_refuses_bad_competitors(api, manager, body):
    assert api(manager).post("/api/v1/competitors/", body, format="json").status_code == 400
    assert not Competitor.objects.exists()


def test_api_active_takes_true_or_false_only(api, manager, rival):
    for value in (0, 1, "yes", "true"):
        response = api(manager).patch("/api/v1/competitors/rival-a/", {"active": value}, format="json")
        assert response.status_code == 400 and "active" in response.json()["errors"]
    assert Competitor.objects.get(code="rival-a").active is True


def test_api_unknown_competitor_is_404(api, manager):
    assert api(manager).patch("/api/v1/competitors/nobody/", {"active": False}, format="json").status_code == 404


def test_api_competitor_quotes_on_a_case(api, specialist, other_specialist, support, case, rival):
    url = f"/api/v1/cases/{case.pk}/competitor-quotes/"
    body = {"competitor": "rival-a", "premium": "2800.00", "cover_notes": "third-party only"}
    assert api(other_specialist).post(url, body, format="json").status_code == 403
    assert api(support).post(url, body, format="json").status_code == 403
    created = api(specialist).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    answer = created.json()
    assert (answer["competitor"], answer["premium"], answer["our_premium"], answer["gap_percent"]) == (
        "rival-a",
        "2800.00",
        "3000.00",
        -6.67,
    )
    listed = api(support).get(url)
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [answer["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"competitor": "nobody", "premium": "10"},
        {"competitor": "rival-a", "premium": "-1"},
        {"competitor": "rival-a", "premium": "99999999999999"},
        {"competitor": "rival-a", "premium": "10", "cover_notes": "a\x00b"},
        {"competitor": "rival-a", "premium": "10", "cover_notes": "x" * 501},
        {"competitor": "rival-a"},
    ],
)
def test_api_refuses_bad_competitor_quotes(api, specialist, case, rival, body):
    assert api(specialist).post(f"/api/v1/cases/{case.pk}/competitor-quotes/", body, format="json").status_code == 400
    assert not CompetitorQuote.objects.exists()


def test_api_competitor_quotes_of_an_unknown_case(api, specialist, rival):
    assert api(specialist).get("/api/v1/cases/999999/competitor-quotes/").status_code == 404
    body = {"competitor": "rival-a", "premium": "10"}
    assert api(specialist).post("/api/v1/cases/999999/competitor-quotes/", body, format="json").status_code == 404


def test_api_lose_with_the_competitor(api, specialist, case, rival):
    url = f"/api/v1/cases/{case.pk}/lose/"
    refused = api(specialist).post(url, {"reason": "price", "competitor": "rival-a"}, format="json")
    assert refused.status_code == 400 and "competitor" in refused.json()["errors"]
    unknown = api(specialist).post(url, {"reason": "competitor", "competitor": "nobody"}, format="json")
    assert unknown.status_code == 400 and "competitor" in unknown.json()["errors"]
    done = api(specialist).post(
        url, {"reason": "competitor", "competitor": "rival-a", "competitor_premium": "2500.00"}, format="json"
    )
    assert done.status_code == 200, done.json()
    row = CompetitorQuote.objects.get(case=case)
    assert (row.kind, row.premium) == ("loss", D("2500.00"))
    assert api(specialist).get(f"/api/v1/cases/{case.pk}/competitor-quotes/").json()[0]["kind"] == "loss"


@pytest.mark.parametrize("n", [1, 12])
def test_the_settings_page_query_count_is_constant(client_for, manager, django_assert_max_num_queries, n):
    for i in range(n):
        competitor_services.competitor_save(actor=manager, code=f"rival-{i}", name=f"Rival {i}")
    client = client_for(manager)
    with django_assert_max_num_queries(4):
        response = client.get("/settings/competitors/")
    assert response.status_code == 200 and response.content.decode().count('name="competitor_id"') == n
    assert "no-store" in response["Cache-Control"]


# --- a reopened case, races, the timeline, blank names --------------------------------------


def test_a_reopened_case_is_lost_to_a_competitor_again_through_the_pages(client_for, specialist, manager, case, rival):
    other = competitor_services.competitor_save(actor=manager, code="rival-b", name="Rival B")
    client = client_for(specialist)
    lose = {"lost-reason_code": "competitor", "lost-competitor": "rival-a", "lost-competitor_premium": "2700.00"}
    assert client.post(f"/cases/{case.pk}/lost/", {"lost-version": case.version, **lose}).status_code == 302
    decide_by = {"reopen-decision_date": timezone.localdate().isoformat()}
    case.refresh_from_db()
    response = client_for(manager).post(f"/cases/{case.pk}/reopen/", {"reopen-version": case.version, **decide_by})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.OPEN
    # Reopened: the loss no longer counts (no badge); the timeline says who it had been lost to.
    assert not CompetitorQuote.objects.filter(case=case).exists()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "No competitor quote recorded." in page
    assert "no longer counted as lost to Rival A" in page
    again = {"lost-reason_code": "competitor", "lost-competitor": "rival-b", "lost-competitor_premium": "2600.00"}
    response = client.post(f"/cases/{case.pk}/lost/", {"lost-version": case.version, **again})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.LOST
    rows = list(CompetitorQuote.objects.filter(case=case).values_list("kind", "competitor_id", "premium"))
    assert rows == [("loss", other.pk, D("2600.00"))]


def test_a_reopened_case_is_lost_to_a_competitor_again_through_the_api(api, specialist, manager, case, rival):
    lose = {"reason": "competitor", "competitor": "rival-a", "competitor_premium": "2500.00"}
    assert api(specialist).post(f"/api/v1/cases/{case.pk}/lose/", lose, format="json").status_code == 200
    reopened = api(manager).post(
        f"/api/v1/cases/{case.pk}/reopen/", {"decision_date": timezone.localdate().isoformat()}, format="json"
    )
    assert reopened.status_code == 200, reopened.json()
    assert api(specialist).get(f"/api/v1/cases/{case.pk}/competitor-quotes/").json() == []
    again = api(specialist).post(
        f"/api/v1/cases/{case.pk}/lose/", lose | {"competitor_premium": "2400.00"}, format="json"
    )
    assert again.status_code == 200, again.json()
    listed = api(specialist).get(f"/api/v1/cases/{case.pk}/competitor-quotes/").json()
    assert [(r["kind"], r["premium"]) for r in listed] == [("loss", "2400.00")]


def test_recording_a_loss_again_replaces_a_left_over_one(specialist, manager, case, rival):
    """A loss row left from before reopening voided it (the 0017 migration drops those) is replaced."""
    from renewals import services

    CompetitorQuote.objects.create(case=case, competitor=rival, kind="loss", premium=D("1"), our_premium=D("3000"))
    services.case_mark_lost(
        case_id=case.pk, actor=specialist, reason_code="competitor", competitor_code="rival-a", competitor_premium="2"
    )
    assert list(CompetitorQuote.objects.filter(case=case).values_list("premium", flat=True)) == [D("2.00")]


def test_two_creates_of_one_code_at_once_are_a_conflict_not_a_crash(manager):
    # given another manager's create of the same code, in another process, not committed yet
    with another_process_creates("competitor", code="rival-z") as other:
        # when this one passes its check too and inserts: it waits, then meets the other's row
        with pytest.raises(ApplicationError) as error:
            competitor_services.competitor_save(actor=manager, code="rival-z", name="Rival Z")
        # then a conflict naming the field, the other's competitor kept, this connection still usable
        assert (error.value.field, error.value.status) == ("code", 409)
        assert list(Competitor.objects.filter(code="rival-z").values_list("pk", "name")) == [
            (other["id"], "The other request")
        ]


def test_api_two_creates_of_one_code_at_once_answer_409(api, manager):
    with another_process_creates("competitor", code="rival-z"):
        response = api(manager).post("/api/v1/competitors/", {"code": "rival-z", "name": "Rival Z"}, format="json")
    assert response.status_code == 409 and "code" in response.json()["errors"]


def test_the_timeline_shows_the_competitor_and_premium_of_a_quote(client_for, specialist, case, rival):
    competitor_services.competitor_quote_record(
        case_id=case.pk, actor=specialist, competitor_code="rival-a", premium="12345.60", cover_notes="no glass"
    )
    client = client_for(specialist)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Competitor quote: Rival A · 12,345.60" in page
    page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "竞品报价：对手甲 · 12,345.60" in page


@pytest.mark.parametrize("name", ["   ", "\t\n", "\u3000"])
def test_api_a_name_of_only_spaces_is_refused_as_the_schema_says(api, manager, rival, name):
    import re

    from core.api import NOT_BLANK_PATTERN

    assert not re.search(NOT_BLANK_PATTERN, name)  # the schema refuses it too
    assert api(manager).post("/api/v1/competitors/", {"code": "x", "name": name}, format="json").status_code == 400
    assert api(manager).patch("/api/v1/competitors/rival-a/", {"name": name}, format="json").status_code == 400
    assert Competitor.objects.get(code="rival-a").name == "Rival A"


def test_the_schema_states_a_competitor_name_needs_more_than_spaces(api, manager):
    import re

    schema = api(manager).get("/api/schema/?format=json").json()
    pattern = schema["components"]["schemas"]["CompetitorRequest"]["properties"]["name"]["pattern"]
    assert not re.search(pattern, "   ") and re.search(pattern, "  Rival ") and not re.search(pattern, "A\x00")
