"""No personal data in URLs or access logs: customer searches are POSTed, gunicorn logs paths only."""

import re
from pathlib import Path

import pytest

from tests.conftest import make_user

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def _search_inputs(html: str) -> list[str]:
    return re.findall(r'<input id="(?:quick-search|customer-q)"[^>]*>', html, flags=re.S)


@pytest.mark.parametrize(
    ("path", "posts_to"),
    [
        ("/complaints/", "/customers/search/"),  # header quick search on any page
        ("/complaints/new/", "/complaints/new/customers/"),
        ("/complaints/surveys/record/", "/complaints/new/customers/"),
    ],
)
def test_customer_search_boxes_post_the_term_instead_of_putting_it_in_the_url(client, path, posts_to):
    client.force_login(make_user("support-privacy", "support"))
    html = client.get(path).content.decode()
    inputs = _search_inputs(html)
    assert inputs, path
    assert any(f'hx-post="{posts_to}"' in tag for tag in inputs)
    assert not any("hx-get" in tag for tag in inputs)
    # the CSRF header every htmx request carries
    assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', html)


def test_header_search_form_falls_back_to_a_post_with_a_csrf_token(client):
    client.force_login(make_user("spec-privacy", "specialist"))
    html = client.get("/customers/search/").content.decode()
    header_form = re.search(r'<form[^>]*role="search" action="/customers/search/"[^>]*>.*?</form>', html, flags=re.S)
    assert header_form is not None
    assert 'method="post"' in header_form.group(0)
    assert 'name="csrfmiddlewaretoken"' in header_form.group(0)


def test_survey_picker_says_what_it_picks_for_in_the_body_not_the_url(client):
    client.force_login(make_user("support-privacy", "support"))
    html = client.get("/complaints/surveys/record/").content.decode()
    (tag,) = [tag for tag in _search_inputs(html) if 'id="customer-q"' in tag]
    assert "hx-vals='{&quot;for&quot;: &quot;survey&quot;}'" in tag or 'hx-vals=\'{"for": "survey"}\'' in tag
    assert "?for=" not in tag


def test_gunicorn_access_log_has_the_path_without_its_query_string():
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    fmt = re.search(r"--access-logformat '([^']*)'", run_sh)
    assert fmt is not None, "gunicorn must be given an explicit access log format"
    assert "%(U)s" in fmt.group(1)
    # %(r)s is the request line with the query, %(q)s the query, %(f)s the referer (whose URL has one too)
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({raw_uri}e)s"):
        assert leaky not in fmt.group(1)
    assert "--timeout 120" in run_sh
