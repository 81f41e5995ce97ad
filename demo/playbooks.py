"""The demo's playbooks: VIP customers of every line go to senior specialists with their own cadence
(no SMS reminders, calls from two weeks before expiry, more discount authority, contact within two
days), high-value property customers get a first-contact target, and each line keeps its seeded
default. Last year's cases are attributed to the playbooks as if they had been in force, so the
dashboard's comparison has history to show."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from renewals.models import LineOfInsurance, Playbook, RenewalCase, SpecialistProfile
from renewals.playbooks import matching, services

# The demo's senior specialists (their profile gets the "senior" skill).
SENIORS = ("specialist1", "specialist2")
# Cases per UPDATE when attributing history.
HISTORY_BATCH = 20_000


def _vip(line: LineOfInsurance, position: int) -> dict:
    return {
        "code": f"{line.code}-vip",
        "name": f"{line.name}: VIP care",
        "name_zh_hans": f"{line.name_zh_hans or line.name}：VIP 专属服务",
        "line_id": line.pk,
        "position": position,
        "segments": ["vip"],
        "remind_by_sms": False,
        "call_from_days": 14,
        "assignment_skill": "senior",
        "discount_authority_percent": "15",
        "first_contact_days": 2,
        "note": "VIP customers: a senior specialist calls; no automated SMS.",
    }


@transaction.atomic
def seed_playbooks() -> int:
    """Create the demo playbooks (once) and make the seniors; answers how many were created."""
    User = get_user_model()
    manager = User.objects.filter(username="manager1").first()
    for username in SENIORS:
        user = User.objects.filter(username=username).first()
        if user is not None:
            profile, _created = SpecialistProfile.objects.get_or_create(user=user)
            profile.skills = sorted({*(profile.skills or []), "senior"})
            profile.save(update_fields=["skills", "updated_at"])
    created = 0
    lines = {line.code: line for line in LineOfInsurance.objects.filter(active=True)}
    wanted = [_vip(line, 10 + i) for i, line in enumerate(lines.values())]
    if "property" in lines:
        wanted.append(
            {
                "code": "property-high-value",
                "name": "Property: high value",
                "name_zh_hans": "财产险：高价值客户",
                "line_id": lines["property"].pk,
                "position": 20,
                "segments": ["high_value"],
                "first_contact_days": 5,
                "call_from_days": 10,
            }
        )
    for fields in wanted:
        if not Playbook.objects.filter(code=fields["code"]).exists():
            services.playbook_create(actor=manager, **fields)
            created += 1
    return created


@transaction.atomic
def attribute_history() -> int:
    """Cases without a playbook (loaded history) get the one that matches them, first match, one
    UPDATE per rule and batch of ids."""
    rules = matching.rules_in_force()
    ids = list(RenewalCase.objects.filter(playbook_version__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(ids), HISTORY_BATCH):
        chunk = ids[start : start + HISTORY_BATCH]
        for rule in rules:
            RenewalCase.objects.filter(pk__in=chunk, playbook_version__isnull=True).filter(
                matching.rule_q(rule)
            ).update(playbook_version_id=rule.version_id)
    return len(ids)
