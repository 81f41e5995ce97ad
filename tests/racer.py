"""The other side of a create race, as a real second process (used by ``tests/races.py``).

``python tests/racer.py <action> '<json kwargs>'`` sets Django up on the test database
(``DATABASE_URL``), makes its own manager, then runs the action's service call inside a transaction
that it commits only once another backend is blocked by its uncommitted row, i.e. once the test's
own insert of the same unique value waits on it. It prints one JSON line when the rows are in
place (``ready``) and one when it has committed; on ``clean`` from stdin it deletes everything it
committed. Exit status 3: nobody blocked on it within the time limit, so no race took place.
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402

BLOCK_WAIT_SECONDS = 20


def _say(**fields) -> None:
    print(json.dumps(fields), flush=True)


def _someone_waits_on_me() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return cursor.fetchone()[0]


def _competitor(actor, code: str) -> dict:
    from renewals.competitors.services import competitor_save

    return {"id": competitor_save(actor=actor, code=code, name="The other request").pk}


def _playbook(actor, code: str, line_code: str | None = None, is_default: bool = False) -> dict:
    from renewals.models import LineOfInsurance
    from renewals.playbooks.services import playbook_create

    line_id = LineOfInsurance.objects.get(code=line_code).pk if line_code else None
    playbook = playbook_create(actor=actor, code=code, name="The other request", line_id=line_id, is_default=is_default)
    return {"id": playbook.pk}


def _committed_line(code: str) -> None:
    """A line of its own, committed before the race (the test's process must see it)."""
    from renewals.models import LineOfInsurance

    LineOfInsurance.objects.create(code=code, name=code, renewal_window_days=60, grace_days=15, notice_lead_days=30)


ACTIONS = {"competitor": _competitor, "playbook": _playbook}


def _clean(user: User, line_code: str | None) -> None:
    from renewals.models import Competitor, LineOfInsurance, SettingsChange
    from renewals.playbooks.models import Playbook, PlaybookVersion

    with transaction.atomic():
        codes = list(SettingsChange.objects.filter(actor=user).values_list("object_repr", flat=True))
        Competitor.objects.filter(code__in=codes, name="The other request").delete()
        playbooks = Playbook.objects.filter(code__in=codes, name="The other request")
        playbooks.update(current_version=None)  # a playbook's current version is protected
        PlaybookVersion.objects.filter(playbook__in=playbooks).delete()
        playbooks.delete()
        SettingsChange.objects.filter(actor=user).delete()
        if line_code:
            LineOfInsurance.objects.filter(code=line_code).delete()
        user.delete()


def main(action: str, kwargs: dict) -> int:
    line_code = f"race-{uuid.uuid4().hex[:8]}" if kwargs.pop("new_line", False) else None
    with transaction.atomic():
        user = User.objects.create_user(f"racer-{uuid.uuid4().hex[:12]}")
        user.groups.add(Group.objects.get(name="manager"))
        if line_code:
            _committed_line(line_code)
            kwargs["line_code"] = line_code
    kwargs["actor"] = user
    status = 0
    try:
        status = _race(action, kwargs, line_code)
    finally:
        sys.stdin.readline()  # "clean", or end of input when the test process is gone
        _clean(user, line_code)
    return status


def _race(action: str, kwargs: dict, line_code: str | None) -> int:
    status = 0
    with transaction.atomic():
        result = ACTIONS[action](kwargs.pop("actor"), **kwargs)
        _say(ready=True, line_code=line_code, **result)
        deadline = time.monotonic() + BLOCK_WAIT_SECONDS
        while not _someone_waits_on_me():
            if time.monotonic() > deadline:
                status = 3
                break
            time.sleep(0.02)
    _say(committed=True, blocked_someone=status == 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], json.loads(sys.argv[2])))
