"""Navigation by role, for the base layout. Paths are the public URLs of DESIGN §4."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.roles import Role, role_names

S, M, P = Role.SPECIALIST.value, Role.MANAGER.value, Role.SUPPORT.value

NAV_ITEMS = [
    # (label, path, roles that see it)
    (_("Dashboard"), "/analytics/", {M}),
    (_("Team"), "/analytics/team/", {M}),
    (_("My queue"), "/cases/", {S}),
    (_("Team queue"), "/cases/", {M}),
    (_("Approvals"), "/cases/approvals/", {M}),
    (_("Compliance"), "/notifications/watchlist/", {M}),
    (_("Messages"), "/notifications/messages/", {M}),
    (_("Document texts"), "/documents/templates/", {M}),
    (_("Complaints"), "/complaints/", {P, M}),
    (_("Follow-ups"), "/complaints/follow-ups/", {P}),
    (_("Campaigns"), "/campaigns/", {M}),  # experiments are linked from the campaigns page
    (_("Import"), "/imports/", {M}),
    (_("Settings"), "/settings/", {M}),
]


def navigation(request):
    names = role_names(getattr(request, "user", None))
    items = []
    seen = set()
    for label, path, roles in NAV_ITEMS:
        if names & roles and path not in seen:
            seen.add(path)
            items.append({"label": label, "path": path, "active": request.path.startswith(path)})
    # Only the longest matching path is active (/analytics/team/ is not also the dashboard).
    longest = max((len(item["path"]) for item in items if item["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["path"]) == longest
    return {"nav_items": items, "user_roles": names, "CURRENCY": settings.CURRENCY}
