import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from core.roles import primary_role

logger = logging.getLogger(__name__)

ROLE_HOME = {
    "specialist": "/cases/",
    "manager": "/analytics/",
    "support": "/complaints/",
}


def home(request):
    """Each role lands on its own home page; a user with no role sees an explanation."""
    target = ROLE_HOME.get(primary_role(request.user))
    if target:
        return redirect(target)
    return render(request, "no_role.html", status=403)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker():
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """``{"database": "ok", "broker": "ok"}`` with 200, or 503 naming what is down."""
    status = {}
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            check()
            status[name] = "ok"
        except Exception as exc:  # any failure means "down"; the type goes to the log, not the answer
            logger.warning("healthz: %s down (%s)", name, type(exc).__name__)
            status[name] = "down"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
