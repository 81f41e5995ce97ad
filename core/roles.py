"""Roles are Django groups; these helpers check them the same way in views and the API."""

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class Role(models.TextChoices):
    SPECIALIST = "specialist", _("Renewal specialist")
    MANAGER = "manager", _("Manager")
    SUPPORT = "support", _("Support")


# Everyone who works at the desk; a logged-in user in none of these groups sees nothing.
STAFF_ROLES = (Role.SPECIALIST, Role.MANAGER, Role.SUPPORT)


def role_names(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request (one query)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def has_role(user, *roles) -> bool:
    return bool(role_names(user) & {str(r) for r in roles})


def primary_role(user) -> str | None:
    """The role whose home page the user lands on (manager wins over the others)."""
    names = role_names(user)
    for role in (Role.MANAGER, Role.SPECIALIST, Role.SUPPORT):
        if role in names:
            return role.value
    return None


def role_required(*roles):
    """View decorator: 403 unless the logged-in user has one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RoleRequiredMixin(AccessMixin):
    """Class-based view mixin: set ``allowed_roles``."""

    allowed_roles: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, *self.allowed_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HasRole(BasePermission):
    """DRF permission: the view sets ``allowed_roles`` (all methods) and optionally
    ``write_roles`` (unsafe methods only)."""

    def has_permission(self, request, view):
        allowed = getattr(view, "allowed_roles", ())
        if not has_role(request.user, *allowed):
            return False
        write_roles = getattr(view, "write_roles", None)
        if write_roles is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            return has_role(request.user, *write_roles)
        return True


class IsStaffMember(BasePermission):
    """DRF permission: the user holds one of the desk's roles (API root, schema)."""

    def has_permission(self, request, view):
        return has_role(request.user, *STAFF_ROLES)
