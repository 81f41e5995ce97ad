"""Create races between two real processes.

``with another_process_creates("competitor", code="rival-z"): <this process creates it too>``
starts ``tests/racer.py``: it makes the same create through the same service in its own
transaction and commits only once this process's insert waits on its uncommitted row. So both
pass every check before inserting, and this process meets the unique index after the other
commits: the race as two requests really run it, with nothing patched. On leaving, the racer
deletes what it committed (the test's own transaction is rolled back as usual).
"""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

RACER = Path(__file__).with_name("racer.py")


@contextmanager
def another_process_creates(action: str, **kwargs):
    """Yields what the racer created (``{"id": …}``); asserts afterwards that the race happened."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    racer = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(RACER), action, json.dumps(kwargs)],
        env={**os.environ, "DATABASE_URL": url},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = json.loads(racer.stdout.readline() or "{}")
        assert ready.get("ready"), "the racing process did not get to its insert"
        yield ready
        committed = json.loads(racer.stdout.readline() or "{}")
        assert committed.get("blocked_someone"), "this process never waited on the other's row: no race took place"
    finally:
        racer.communicate("clean\n", timeout=60)
    assert racer.returncode == 0, f"the racing process ended with status {racer.returncode}"
