"""Helpers shared by the renewals screens."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.net import safe_next
from core.roles import Role, has_role
from renewals.forms import MAX_ID


def is_manager(user) -> bool:
    return has_role(user, Role.MANAGER)


def next_url(request, default: str) -> str:
    """Where to go after a POST: the form's ``next`` when it is on this site, else ``default``."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), default)


def form_errors(form) -> str:
    """A bound form's errors as one line for a flash message: "Label: message; …"."""
    # A bound field's label falls back to its name, so no message ever reads "None: …".
    return "; ".join(
        f"{form[f].label if f in form.fields else ''}: {' '.join(e)}".strip(": ") for f, e in form.errors.items()
    )


def page_number(request, max_page: int) -> int:
    """``?page=``: 1 when absent or not a number; a page past ``max_page`` (or past bigint) is a 404."""
    raw = request.GET.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        return 1
    if page > max_page:
        raise Http404(_("There is no such page."))
    return max(page, 1)


def id_or_none(raw) -> int | None:
    """A posted id as an int, or None when it is not a whole number within bigint."""
    text = str(raw or "").strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        return None
    return int(text)


def refuse(request, message: str, *, status: int = 400, back: str = ""):
    """A page saying why a request was refused (400 malformed, 404 unknown); nothing was written."""
    return render(request, "renewals/refused.html", {"message": message, "status": status, "back": back}, status=status)


def row_or_refusal(request, key: str, lookup, message: str):
    """(row, None) for a posted ``key`` naming an existing row; (None, response) when it is malformed
    (400) or unknown (404); (None, None) when the form did not post ``key`` (an "add" form)."""
    if key not in request.POST:
        return None, None
    row_id = id_or_none(request.POST[key])
    row = lookup(row_id) if row_id is not None else None
    if row is None:
        return None, refuse(request, message, status=400 if row_id is None else 404, back=request.path)
    return row, None
