import pytest

from tests.conftest import make_user
from tests.e2e.conftest import E2E_DB

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_wrong_password_shows_a_clear_message_and_right_one_logs_in(page, login, shot):
    make_user("specialist1", "specialist")
    login("specialist1", "not-the-password")
    assert page.get_by_role("alert").is_visible()
    shot("wrong-password")
    login("specialist1")
    assert "/accounts/login/" not in page.url
    assert page.get_by_role("button", name="specialist1").is_visible()
