"""Bad ids and junk page cursors on the reminder pages answer 404 or a clean page, never 500, and
write nothing."""

import pytest

from notifications.models import NoticeProof, OutboundMessage, ReminderStep
from renewals.models import SettingsChange
from tests.notifications.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db
BEYOND_BIGINT = "9" * 20


def nothing_written(before: tuple) -> bool:
    return before == (
        OutboundMessage.objects.count(),
        NoticeProof.objects.count(),
        ReminderStep.objects.count(),
        SettingsChange.objects.count(),
    )


def counts() -> tuple:
    return (
        OutboundMessage.objects.count(),
        NoticeProof.objects.count(),
        ReminderStep.objects.count(),
        SettingsChange.objects.count(),
    )


@pytest.mark.parametrize("case_id", ["99999999", BEYOND_BIGINT])
@pytest.mark.parametrize("path", ["send-notice/", "notice-proof/"])
def test_a_notice_action_on_an_unknown_case_answers_404(client_for, manager, case_id, path):
    before = counts()
    response = client_for(manager).post(
        f"/notifications/cases/{case_id}/{path}", {"posted_on": "2026-01-01", "note": ""}
    )
    assert response.status_code == 404
    assert nothing_written(before)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/notifications/cases/{id}/messages/"),
        ("get", "/notifications/customers/{id}/messages/"),
        ("get", "/notifications/settings/steps/{id}/"),
        ("post", "/notifications/settings/steps/{id}/remove/"),
        ("get", "/notifications/settings/lines/{id}/steps/new/"),
        ("get", "/notifications/settings/templates/{id}/"),
        ("post", "/notifications/settings/templates/{id}/preview/"),
        ("get", "/notifications/cases/{id}/notice-proof/"),
    ],
)
@pytest.mark.parametrize("row_id", ["99999999", BEYOND_BIGINT])
def test_unknown_ids_answer_404(client_for, manager, method, path, row_id):
    before = counts()
    response = getattr(client_for(manager), method)(path.format(id=row_id))
    assert response.status_code == 404
    assert nothing_written(before)


@pytest.mark.parametrize("row_id", ["99999999", BEYOND_BIGINT])
def test_an_unknown_call_task_is_refused_with_a_message(client_for, manager, row_id):
    # (not a 404: the page it came from shows "Call task not found.", see tests/customers/test_net.py)
    response = client_for(manager).post(f"/notifications/call-tasks/{row_id}/done/", follow=True)
    assert response.status_code == 200
    assert "Call task not found." in response.content.decode()
    response = client_for(manager).post(f"/notifications/call-tasks/{row_id}/done/", headers={"HX-Request": "true"})
    assert response.status_code == 404


@pytest.mark.parametrize("before", ["abc", "²", "١٢٣", BEYOND_BIGINT, "-5", "1e5", "\x00", " 12"])
def test_a_junk_message_page_cursor_shows_the_newest_page(client_for, manager, before):
    message = OutboundMessageFactory()
    response = client_for(manager).get("/notifications/messages/", {"before": before})
    if "\x00" in before:  # refused for every page by core.middleware
        assert response.status_code == 400
        return
    assert response.status_code == 200
    assert message.customer.name in response.content.decode()


@pytest.mark.parametrize(
    "after",
    ["x", "2026-01-01", "2026-01-01_abc", f"2026-01-01_{BEYOND_BIGINT}", "0001-01-01_1", "9999-12-31_1", "\x00", "_"],
)
def test_a_junk_watchlist_cursor_answers_a_page(client_for, manager, after):
    response = client_for(manager).get("/notifications/watchlist/", {"after": after})
    assert response.status_code == (400 if "\x00" in after else 200)
