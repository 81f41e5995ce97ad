"""Loading the demo book's frames: ``COPY`` on PostgreSQL, ``executemany`` batches on SQLite.

On PostgreSQL a bulk load drops the tables' foreign keys, unique constraints and plain indexes and
makes them again afterwards (1,000,000 policies in well under three minutes); columns a frame does
not carry are filled from the model fields' defaults, so other apps may add fields freely.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import contextmanager
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone


class Loader:
    """COPY on PostgreSQL, executemany batches on SQLite; fills unset columns with field defaults."""

    COPY_CHUNK = 200_000  # rows per COPY: a few tens of MB of CSV in memory
    SQLITE_BATCH = 5_000

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def load(self, model, frame: pd.DataFrame) -> None:
        if frame is None or not len(frame):
            return
        frame = self._complete(model, frame)
        table = connection.ops.quote_name(model._meta.db_table)
        columns = list(frame.columns)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if self.postgres:
                for start in range(0, len(frame), self.COPY_CHUNK):
                    buffer = io.StringIO(_copy_text(frame.iloc[start : start + self.COPY_CHUNK]))
                    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buffer)
            else:
                sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
                rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None)]
                for start in range(0, len(rows), self.SQLITE_BATCH):
                    cursor.executemany(sql, rows[start : start + self.SQLITE_BATCH])

    def update(self, model, key: str, frame: pd.DataFrame) -> None:
        """Set the frame's columns on the rows whose ``key`` column matches (set-based on PostgreSQL)."""
        if not len(frame):
            return
        table = connection.ops.quote_name(model._meta.db_table)
        cols = [c for c in frame.columns if c != key]
        with transaction.atomic(), connection.cursor() as cursor:
            if self.postgres:
                # COPY the new values into a temporary table of the same column types, then one UPDATE … FROM
                # (one transaction, so the table lives on one connection even behind PgBouncer).
                names = ", ".join(f'"{c}"' for c in [key, *cols])
                cursor.execute(
                    f"CREATE TEMPORARY TABLE demo_update ON COMMIT DROP AS SELECT {names} FROM {table} LIMIT 0"
                )
                cursor.copy_expert(
                    f"COPY demo_update ({names}) FROM STDIN", io.StringIO(_copy_text(frame[[key, *cols]]))
                )
                sets = ", ".join(f'"{c}" = v."{c}"' for c in cols)
                cursor.execute(f'UPDATE {table} AS t SET {sets} FROM demo_update AS v WHERE t."{key}" = v."{key}"')
                cursor.execute("DROP TABLE demo_update")
            else:
                sets = ", ".join(f'"{c}" = %s' for c in cols)
                rows = [tuple(_plain(v) for v in row) for row in frame[[*cols, key]].itertuples(index=False, name=None)]
                cursor.executemany(f'UPDATE {table} SET {sets} WHERE "{key}" = %s', rows)

    @contextmanager
    def bulk_load_mode(self, model_list):
        """PostgreSQL: for the bulk load, drop these tables' unique constraints, foreign keys and plain
        indexes, then build each index in one sort and add the constraints back, which validates
        them once each instead of an index insert and a trigger call per row."""
        if not self.postgres:
            yield
            return
        tables = [m._meta.db_table for m in model_list]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                # Unique constraints first (they come back before the keys), skipping any a key points at.
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint c "
                "WHERE conrelid::regclass::text = ANY(%s) AND (contype = 'f' OR (contype = 'u' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))) "
                "ORDER BY contype DESC, 1, 2",
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def reset_sequences(self, model_list) -> None:
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), model_list):
                cursor.execute(sql)

    def _complete(self, model, frame: pd.DataFrame) -> pd.DataFrame:
        """Add every concrete column the frame lacks, from the field's default (others may add fields)."""
        now = timezone.now()
        missing = {}
        for f in model._meta.concrete_fields:
            if f.column in frame.columns:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise RuntimeError(f"demo seed: {model.__name__}.{f.name} has no value and no default")
            missing[f.column] = _db_text(value)
        if missing:
            frame = frame.assign(**missing)
        return frame


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_column(values) -> list[str]:
    """One column as COPY text fields: NULL is \\N, booleans t/f, backslash and tabs escaped."""
    if isinstance(values, pd.arrays.BooleanArray) or values.dtype == bool:
        return ["\\N" if v is pd.NA else ("t" if v else "f") for v in values]
    if isinstance(values, pd.arrays.IntegerArray):
        mask = values.isna()
        out = values.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
        out[mask] = "\\N"
        return out.tolist()
    if values.dtype.kind in "iuf":
        return values.astype(str).tolist()
    out = []
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out.append("\\N")
        else:
            v = str(v)
            out.append(v.translate(_ESCAPES) if ("\\" in v or "\t" in v or "\n" in v or "\r" in v) else v)
    return out


def _copy_text(frame: pd.DataFrame) -> str:
    """The frame as PostgreSQL COPY text format (much faster to build than pandas' CSV writer)."""
    columns = [
        _copy_column(frame[c].array if frame[c].dtype.name in ("Int64", "boolean") else frame[c].to_numpy())
        for c in frame.columns
    ]
    return "".join(["\t".join(row) + "\n" for row in zip(*columns, strict=True)])


def _db_text(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + (
            "+00" if connection.vendor == "postgresql" else ""
        )
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _plain(value):
    """A Python value the DB driver accepts (pandas/numpy scalars and NA become plain types)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
