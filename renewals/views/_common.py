"""Helpers shared by the renewals screens."""

from core.net import safe_next
from core.roles import Role, has_role


def is_manager(user) -> bool:
    return has_role(user, Role.MANAGER)


def next_url(request, default: str) -> str:
    """Where to go after a POST: the form's ``next`` when it is on this site, else ``default``."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), default)


def form_errors(form) -> str:
    """A bound form's errors as one line for a flash message: "Label: message; …"."""
    return "; ".join(
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".strip(": ") for f, e in form.errors.items()
    )
