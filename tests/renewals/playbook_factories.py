"""Playbooks for the tests: the VIP playbook of the issue (senior pool, its own cadence, a higher
authority, a first-contact target) next to the seeded default of each line."""

from renewals.models import Playbook, SpecialistProfile
from renewals.playbooks import services
from tests.renewals.factories import line


def vip_playbook(manager, **overrides) -> Playbook:
    """Auto VIP cases: senior specialists, no SMS reminders (the notice and the call remain), calls
    from 10 days before expiry, 15 % authority, first contact within 2 days."""
    fields = {
        "code": "auto-vip",
        "name": "VIP care",
        "name_zh_hans": "VIP 专属",
        "line_id": line("auto").pk,
        "position": 10,
        "segments": ["vip"],
        "remind_by_sms": False,
        "call_from_days": 10,
        "assignment_skill": "senior",
        "discount_authority_percent": "15",
        "first_contact_days": 2,
    }
    fields.update(overrides)
    return services.playbook_create(actor=manager, **fields)


def default_playbook(code="auto") -> Playbook:
    return Playbook.objects.get(line=line(code), is_default=True)


def make_senior(user) -> None:
    profile, _created = SpecialistProfile.objects.get_or_create(user=user)
    profile.skills = ["senior"]
    profile.save()
