"""Admin helpers for tables with millions of rows."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import OperationalError, connection, transaction
from django.utils.functional import cached_property

COUNT_TIMEOUT_MS = 200


class LargeTablePaginator(Paginator):
    """Counts without scanning a huge table.

    Unfiltered on PostgreSQL: the planner's row estimate. Filtered: a real count bounded by a
    statement timeout, falling back to the estimate. Page links past the end show an empty page.
    """

    @cached_property
    def count(self):
        query = self.object_list.query
        if connection.vendor != "postgresql":
            return super().count
        table = self.object_list.model._meta.db_table
        if not query.where:
            return self._estimate(table)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {COUNT_TIMEOUT_MS}")
                return super().count
        except OperationalError:
            return self._estimate(table)

    @staticmethod
    def _estimate(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
        return max(int(row[0]) if row else 0, 0)


class LargeTableAdmin(admin.ModelAdmin):
    """ModelAdmin defaults for big tables: no full counts, foreign keys by id."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    list_per_page = 50
