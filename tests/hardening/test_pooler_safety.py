"""Safe behind PgBouncer in transaction mode (docs/scaling.md): a server connection is lent for one
transaction, so nothing may keep state on it between transactions. These read the code itself, so a
new plain ``SET``, temporary table or session lock fails here before it fails in production."""

import re
from pathlib import Path

from django.conf import settings

APPS = ("core", "customers", "renewals", "documents", "notifications", "campaigns", "analytics", "demo", "config")
PLAIN_SET = r"""["']\s*SET\s+(?!LOCAL\b)(?:SESSION\s+)?[a-z_]+\s*(?:=|TO\b)"""
TEMP_TABLE = r"CREATE\s+TEMP(?:ORARY)?\s+TABLE"
DROPPED_AT_COMMIT = r"ON\s+COMMIT\s+DROP"
SESSION_LOCK = r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\("
LISTENER = r"""["']\s*(?:UN)?LISTEN\s"""
NAMED_CURSOR = r"\.cursor\(\s*name\s*="


def offending(pattern: str, *, unless: str | None = None, root: Path | None = None, apps=APPS) -> list[str]:
    """``file:line`` of each match of ``pattern`` in the apps' code (not migrations) whose statement
    (up to the next ``execute(``, at most 600 characters) lacks ``unless``."""
    root = root or Path(settings.BASE_DIR)
    found = []
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                following = text.find("execute(", match.end())
                statement = text[match.start() : min(match.start() + 600, following % (len(text) + 1))]
                if unless is None or not re.search(unless, statement, flags=re.IGNORECASE):
                    found.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}")
    return found


def test_settings_are_set_per_transaction_only():
    assert offending(PLAIN_SET) == []


def test_temporary_tables_drop_at_commit():
    assert offending(TEMP_TABLE, unless=DROPPED_AT_COMMIT) == []


def test_no_session_locks_listeners_or_named_cursors():
    assert offending(SESSION_LOCK) == []
    assert offending(LISTENER) == []
    assert offending(NAMED_CURSOR) == []


def test_django_opens_no_server_side_cursor():
    assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_the_checks_catch_the_unsafe_forms_and_pass_the_safe_ones(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "jobs.py").write_text(
        "\n".join(
            [
                "cursor.execute(\"SET work_mem = '1GB'\")",
                'cursor.execute("CREATE TEMP TABLE staging (a int)")',
                'cursor.execute("SELECT pg_advisory_lock(1)")',
                "cursor.execute(\"SET LOCAL work_mem = '1GB'\")",
                'cursor.execute("CREATE TEMPORARY TABLE staging (a int) ON COMMIT DROP")',
                'cursor.execute("SELECT pg_advisory_xact_lock(1)")',
            ]
        ),
        encoding="utf-8",
    )
    scan = {"root": tmp_path, "apps": ("core",)}
    assert offending(PLAIN_SET, **scan) == ["core/jobs.py:1"]
    assert offending(TEMP_TABLE, unless=DROPPED_AT_COMMIT, **scan) == ["core/jobs.py:2"]
    assert offending(SESSION_LOCK, **scan) == ["core/jobs.py:3"]
