import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def date_option(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError as exc:
        raise CommandError("--date must be YYYY-MM-DD") from exc
