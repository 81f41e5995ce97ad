"""Client address behind reverse proxies (rate limits) and same-site redirects after POSTs."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import RequestFactory

from core.net import client_ip, safe_next
from customers import links, services
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import RenewalCaseFactory

NOW = dt.datetime(2026, 11, 26, 2, 0, 5, tzinfo=dt.UTC)
HOSTILE_TARGETS = ["//evil.com", "/\\evil.com", "https://evil.com", "https://evil.com/cases/", "\\\\evil.com"]


# --- client_ip ---------------------------------------------------------------------------


def _request(remote="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_a_spoofed_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(remote="203.0.113.7", forwarded="198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # the client sent a fake entry; our proxy appended the address it really saw
    assert client_ip(_request(remote="10.0.0.2", forwarded="6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request(remote="10.0.0.2", forwarded="203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies_the_entry_written_by_the_outer_proxy_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(remote="10.0.0.2", forwarded="6.6.6.6, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"


def test_behind_a_proxy_without_a_forwarded_header_the_connection_address_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(remote="10.0.0.2")) == "10.0.0.2"
    assert client_ip(_request(remote="10.0.0.2", forwarded=" , ")) == "10.0.0.2"


# --- rate limits per client behind the proxy -----------------------------------------------


@pytest.fixture
def survey_path(db):
    customer = CustomerFactory(preferred_language="en")
    invitation = services.survey_invitation_create(customer_id=customer.pk, case_id=None, send_after=NOW)
    return urlsplit(links.survey_url(invitation)).path


def _limit_to_two_per_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public_links": "2/min"}}


@time_machine.travel(NOW, tick=False)
def test_behind_a_proxy_each_customer_has_their_own_survey_link_budget(client, survey_path, settings):
    # given one trusted proxy: every request arrives from the proxy's address
    settings.TRUSTED_PROXY_COUNT = 1
    _limit_to_two_per_minute(settings)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # when one customer uses up the budget
    first = [client.get(survey_path, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy).status_code for _ in range(3)]
    # then another customer behind the same proxy still gets the page
    other = client.get(survey_path, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy).status_code
    assert first == [200, 200, 429]
    assert other == 200


@time_machine.travel(NOW, tick=False)
def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_escape_the_survey_limit(
    client, survey_path, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    _limit_to_two_per_minute(settings)
    statuses = [
        client.get(survey_path, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", REMOTE_ADDR="203.0.113.7").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_behind_a_proxy_each_customer_has_their_own_offer_link_budget(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _limit_to_two_per_minute(settings)
    limit = 2
    path = "/offer/not-a-valid-token/"  # rate limiting comes before the token check
    statuses = [
        client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.2").status_code
        for _ in range(limit + 1)
    ]
    other = client.get(path, HTTP_X_FORWARDED_FOR="198.51.100.4", REMOTE_ADDR="10.0.0.2").status_code
    assert 429 not in statuses[:limit] and statuses[limit] == 429
    assert other != 429


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_escape_the_offer_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    _limit_to_two_per_minute(settings)
    limit = 2
    statuses = [
        client.get("/offer/not-a-valid-token/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(limit + 1)
    ]
    assert statuses[limit] == 429


# --- safe redirects ----------------------------------------------------------------------


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_safe_next_refuses_other_sites(target):
    request = RequestFactory().post("/", HTTP_HOST="localhost")
    assert safe_next(request, target, "/cases/") == "/cases/"


@pytest.mark.parametrize("target", ["/cases/12/", "/cases/?stage=quoted&page=2", "http://localhost/cases/"])
def test_safe_next_keeps_pages_of_this_site(target):
    request = RequestFactory().post("/", HTTP_HOST="localhost")
    assert safe_next(request, target, "/cases/") == target


def test_safe_next_does_not_downgrade_https_to_http():
    request = RequestFactory().post("/", HTTP_HOST="localhost", secure=True)
    assert safe_next(request, "http://localhost/cases/", "/cases/") == "/cases/"
    assert safe_next(request, None, "/cases/") == "/cases/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_call_task_done_never_redirects_to_another_site(client, target):
    client.force_login(make_user("spec-next", "specialist"))
    response = client.post("/notifications/call-tasks/999999/done/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/cases/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_notice_send_now_never_redirects_to_another_site(client, target):
    case = RenewalCaseFactory()
    client.force_login(make_user("mgr-next", "manager"))
    response = client.post(f"/notifications/cases/{case.pk}/send-notice/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/notifications/watchlist/"


@pytest.mark.django_db
def test_notice_send_now_still_returns_to_the_page_it_came_from(client):
    case = RenewalCaseFactory()
    client.force_login(make_user("mgr-next", "manager"))
    response = client.post(f"/notifications/cases/{case.pk}/send-notice/", {"next": f"/cases/{case.pk}/"})
    assert response["Location"] == f"/cases/{case.pk}/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_bulk_reassign_never_redirects_to_another_site(client, target):
    client.force_login(make_user("mgr-next", "manager"))
    response = client.post("/cases/reassign/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/cases/"


@pytest.mark.django_db
def test_bulk_reassign_returns_to_the_filtered_queue(client):
    client.force_login(make_user("mgr-next", "manager"))
    response = client.post("/cases/reassign/", {"next": "/cases/?stage=quoted"})
    assert response["Location"] == "/cases/?stage=quoted"
