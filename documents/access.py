"""Who may see and act on a case's documents (one home for the views, the API and the panels)."""

from core.roles import Role, has_role


def may_see_case(user, case) -> bool:
    """Managers and support see every case's documents; a specialist only their own cases'."""
    if has_role(user, Role.MANAGER) or has_role(user, Role.SUPPORT):
        return True
    return has_role(user, Role.SPECIALIST) and case.assignee_id == user.pk


def may_act_on_case(user, case) -> bool:
    """Issue again, record an acceptance: the case's specialist or a manager."""
    return has_role(user, Role.MANAGER) or (has_role(user, Role.SPECIALIST) and case.assignee_id == user.pk)
