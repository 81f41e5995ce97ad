"""Dashboard, drill-down, exports, targets and the model page."""

import io
import re

import openpyxl
import pytest

from analytics.models import KpiTarget

DASHBOARD = "/analytics/?period=month&month=2026-11"


@pytest.mark.parametrize(
    "path",
    [
        "/analytics/",
        "/analytics/targets/",
        "/analytics/cases/",
        "/analytics/model/",
        "/analytics/complaints/",
        "/analytics/export/kpis.csv",
    ],
)
@pytest.mark.parametrize("role_user", ["specialist", "support"])
def test_only_managers_see_analytics_pages(db, request, client_for, path, role_user):
    assert client_for(request.getfixturevalue(role_user)).get(path).status_code == 403


def test_dashboard_shows_tiles_charts_and_escalated_panel(book, client_for, manager, django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(40):
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "60.0%" in html  # renewal rate 3/5
    assert 'id="dashboard-data"' in html and "chart.umd.min.js" in html
    assert 'hx-get="/complaints/panel/escalated/"' in html
    assert "<script>" not in html.replace('<script id="dashboard-data" type="application/json">', "")


def test_htmx_filter_change_returns_only_the_body(book, client_for, manager, specialist):
    response = client_for(manager).get(DASHBOARD + f"&specialist={specialist.username}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "100.0%" in html  # this specialist renewed both decided cases


def test_query_count_does_not_grow_with_the_data(book, client_for, manager, specialist):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.services import rollups_refresh
    from renewals.models import Stage
    from tests.analytics.factories import make_case

    client = client_for(manager)
    path = "/analytics/?period=year&month=2026-01&line=auto&region=Guangdong&segment=standard&channel=direct"
    client.get(DASHBOARD)  # warm the per-process caches (lines, reasons)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        return len(queries)

    before = count_queries()
    # given twenty more decided cases across months and specialists
    for i in range(20):
        make_case(
            due=dt.date(2026, 1 + i % 11, 10),
            stage=Stage.RENEWED if i % 3 else Stage.LOST,
            reason="" if i % 3 else "price",
            assignee=specialist,
        )
    rollups_refresh(full=True)
    # then the page runs the same number of queries
    assert count_queries() == before <= 40


def test_drill_down_lists_the_lost_cases_behind_the_figure(book, client_for, manager, django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        response = client.get("/analytics/cases/?period=month&month=2026-11&outcome=lost&reason=price")
    html = response.content.decode()
    assert f'href="/cases/{book["lost"].pk}/"' in html
    assert f'href="/cases/{book["r1"].pk}/"' not in html


def test_drill_down_complaints(book, client_for, manager):
    html = (
        client_for(manager).get("/analytics/complaints/?period=month&month=2026-11&category=service").content.decode()
    )
    assert len(re.findall(r'href="/complaints/\d+/"', html)) == 1


def test_csv_export_of_a_dashboard_table(book, client_for, manager):
    response = client_for(manager).get("/analytics/export/lost_reasons.csv?period=month&month=2026-11")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == ["reason,label,cases,share", "price,Price,1,1.0"]


def test_exports_neutralise_text_that_a_spreadsheet_would_run_as_a_formula(book, client_for, manager):
    # given a customer whose name (from the core system) looks like a formula
    customer = book["r1"].customer
    type(customer).objects.filter(pk=customer.pk).update(name='=HYPERLINK("http://evil.example","x")')
    # when a manager exports the renewed cases as CSV and XLSX
    client = client_for(manager)
    csv_text = client.get("/analytics/export/cases.csv?period=month&month=2026-11&outcome=renewed").content.decode()
    xlsx = client.get("/analytics/export/cases.xlsx?period=month&month=2026-11&outcome=renewed").content
    # then the name arrives as text, never as a formula
    assert "'=HYPERLINK" in csv_text
    cells = [cell.value for row in openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_xlsx_export_of_drilled_cases(book, client_for, manager):
    response = client_for(manager).get("/analytics/export/cases.xlsx?period=month&month=2026-11&outcome=renewed")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4  # header + 3 renewed cases


def test_every_dashboard_table_exports(book, client_for, manager):
    client = client_for(manager)
    for table in [
        "kpis",
        "trend",
        "funnel",
        "lost_reasons",
        "nps",
        "complaints",
        "complaint_categories",
        "regions",
        "specialists",
    ]:
        assert client.get(f"/analytics/export/{table}.csv?period=month&month=2026-11").status_code == 200


def test_manager_sets_targets_in_percent_and_tiles_compare(book, client_for, manager):
    client = client_for(manager)
    response = client.post("/analytics/targets/", {"renewal_rate": "85", "nps": "30"})
    assert response.status_code == 302
    assert str(KpiTarget.objects.get(kpi="renewal_rate").value) == "0.8500"
    html = client.get(DASHBOARD).content.decode()
    assert "Target 85.0% (-25.0 pts)" in html


def test_bad_target_is_refused_and_nothing_changes(db, client_for, manager):
    response = client_for(manager).post("/analytics/targets/", {"renewal_rate": "120", "nps": "30"})
    assert response.status_code == 400
    assert not KpiTarget.objects.exists()


def test_print_view_has_no_filter_form(book, client_for, manager):
    html = client_for(manager).get(DASHBOARD + "&print=1").content.decode()
    assert 'id="dashboard-filters"' not in html and "print-view" in html
