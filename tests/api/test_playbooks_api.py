"""``/api/v1/playbooks/``: staff read, managers write (a change is a new version), retire and
re-apply; no delete; attacks."""

import pytest

from renewals.models import Playbook
from tests.renewals.factories import line
from tests.renewals.playbook_factories import default_playbook, vip_playbook

pytestmark = pytest.mark.django_db

BODY = {
    "code": "auto-senior",
    "name": "High value",
    "line": "auto",
    "position": 20,
    "segments": ["high_value", "vip"],
    "premium_min": "8000.00",
    "remind_by_sms": False,
    "assignment_skill": "senior",
    "discount_authority_percent": "12.00",
    "first_contact_days": 2,
}


def test_staff_read_managers_write_and_nobody_deletes(api, specialist, support, manager):
    assert api(specialist).post("/api/v1/playbooks/", BODY, format="json").status_code == 403
    assert api(support).post("/api/v1/playbooks/", BODY, format="json").status_code == 403
    assert api().get("/api/v1/playbooks/").status_code == 401
    created = api(manager).post("/api/v1/playbooks/", BODY, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["version"], data["line"], data["segments"], data["premium_min"]) == (
        1,
        "auto",
        ["high_value", "vip"],
        "8000.00",
    )
    codes = [p["code"] for p in api(support).get("/api/v1/playbooks/").json()["results"]]
    assert codes[0] == "auto-senior" and "auto-standard" in codes
    pk = data["id"]
    assert (
        api(specialist).patch(f"/api/v1/playbooks/{pk}/", {"first_contact_days": 1}, format="json").status_code == 403
    )
    assert api(manager).delete(f"/api/v1/playbooks/{pk}/").status_code == 405
    assert api(specialist).post(f"/api/v1/playbooks/{pk}/retire/").status_code == 403
    assert api(specialist).post(f"/api/v1/playbooks/{pk}/reapply/").status_code == 403


def test_a_change_makes_a_new_version(api, manager):
    playbook = vip_playbook(manager)
    response = api(manager).patch(
        f"/api/v1/playbooks/{playbook.pk}/", {"discount_authority_percent": "18.00"}, format="json"
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    assert response.json()["segments"] == ["vip"]  # kept
    same = api(manager).patch(f"/api/v1/playbooks/{playbook.pk}/", {"name": "VIP care"}, format="json")
    assert same.json()["version"] == 2


def test_retire_and_reapply(api, manager, settings):
    playbook = vip_playbook(manager)
    started = api(manager).post(f"/api/v1/playbooks/{playbook.pk}/reapply/")
    assert started.status_code == 202
    assert started.json()["status"] == "started" and started.json()["cases"] is None
    assert "Re-apply started" in started.json()["detail"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    done = api(manager).post(f"/api/v1/playbooks/{playbook.pk}/reapply/")
    assert (done.status_code, done.json()["status"], done.json()["cases"]) == (202, "done", 0)
    retired = api(manager).post(f"/api/v1/playbooks/{playbook.pk}/retire/")
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert api(manager).post(f"/api/v1/playbooks/{playbook.pk}/retire/").status_code == 409
    assert api(manager).post(f"/api/v1/playbooks/{playbook.pk}/reapply/").status_code == 409
    assert api(manager).post(f"/api/v1/playbooks/{default_playbook().pk}/retire/").status_code == 409


@pytest.mark.parametrize(
    "change",
    [
        {"code": 5},
        {"name": 0},
        {"name": "x\x00y"},
        {"segments": ["gold"]},
        {"regions": [1]},
        {"regions": ["x" * 65]},
        {"regions": ["Pekin"]},
        {"churn_risk_min": 101},
        {"premium_min": "1e30"},
        {"discount_authority_percent": "100.01"},
        {"first_contact_days": 10**12},
        {"position": -1},
        {"assignment_skill": "a b"},
        {"line": "nope"},
    ],
)
def test_bad_input_is_refused_with_the_field_named(api, manager, change):
    response = api(manager).post("/api/v1/playbooks/", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert {field.split(".")[0] for field in response.json()["errors"]} == set(change)
    assert not Playbook.objects.filter(code="auto-senior").exists()


def test_conflicts_answer_409(api, manager):
    vip_playbook(manager)
    assert api(manager).post("/api/v1/playbooks/", {**BODY, "code": "auto-vip"}, format="json").status_code == 409
    second_default = {"code": "auto-2", "name": "Second", "line": "auto", "is_default": True}
    assert api(manager).post("/api/v1/playbooks/", second_default, format="json").status_code == 409
    assert api(manager).get("/api/v1/playbooks/999999999/").status_code == 404
    assert api(manager).patch("/api/v1/playbooks/999999999/", {"name": "x"}, format="json").status_code == 404
    assert line("auto")


def test_a_blank_line_or_a_non_boolean_switch_is_refused_as_the_schema_says(api, manager):
    # DRF would read "line": "" as "every line" and "yes" as true; the schema allows neither.
    body = {"code": "vip-any", "name": "VIP anywhere", "segments": ["vip"]}
    blank_line = api(manager).post("/api/v1/playbooks/", {**body, "line": ""}, format="json")
    assert blank_line.status_code == 400 and list(blank_line.json()["errors"]) == ["line"]
    yes = api(manager).post("/api/v1/playbooks/", {**body, "call_tasks": "yes"}, format="json")
    assert yes.status_code == 400 and list(yes.json()["errors"]) == ["call_tasks"]
