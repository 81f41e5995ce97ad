"""Accounts and cases for the load test, made through the project's own code paths.

``load_accounts_prepare`` creates ``load-specialist-NN``, ``load-support-NN`` and
``load-manager-NN`` the way ``demo.services.ensure_demo_users`` makes the demo users (one hashed
DEMO_PASSWORD, the role's group), then hands each load specialist its own open cases with the
managers' bulk reassignment service (``renewals.services.cases_reassign``: version bump, timeline
event, queue counts forgotten), so every locust specialist works cases nobody else touches.
It returns what the locustfile reads (usernames per role and a sample of customers for the
support staff's customer picker).
"""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction

from customers.models import Customer
from demo.services import ensure_demo_users
from renewals import services
from renewals.models import OPEN_STAGES, RenewalCase


def _accounts(role: str, count: int, password: str) -> list[str]:
    group = Group.objects.get(name=role)
    names = []
    for n in range(1, count + 1):
        username = f"load-{role}-{n:02d}"
        user, _created = User.objects.get_or_create(username=username)
        user.first_name, user.last_name, user.email = f"Load {role} {n}", "", f"{username}@example.com"
        user.password = password
        user.is_active = True
        user.save()
        user.groups.set([group])
        names.append(username)
    return names


def load_accounts_prepare(
    *, specialists: int = 40, support: int = 5, managers: int = 5, cases_each: int = 60, customers_sample: int = 200
) -> dict:
    demo_users = ensure_demo_users()
    password = make_password(settings.DEMO_PASSWORD)  # hashed once, as ensure_demo_users does
    with transaction.atomic():
        accounts = {
            "specialist": _accounts("specialist", specialists, password),
            "support": _accounts("support", support, password),
            "manager": _accounts("manager", managers, password),
        }
    actor = next(u for u in demo_users if u.username == "manager1")
    open_values = [stage.value if hasattr(stage, "value") else stage for stage in OPEN_STAGES]
    load_ids = list(
        User.objects.filter(username__in=accounts["specialist"]).order_by("username").values_list("pk", flat=True)
    )
    # Open cases of the demo specialists (not the load ones), nearest expiry first, in one slice.
    candidates = list(
        RenewalCase.objects.filter(stage__in=open_values)
        .exclude(assignee_id__in=load_ids)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[: specialists * cases_each]
    )
    handed = 0
    for index, user_id in enumerate(load_ids):
        have = RenewalCase.objects.filter(stage__in=open_values, assignee_id=user_id).count()
        want = max(0, cases_each - have)
        chunk = candidates[index * cases_each : index * cases_each + want]
        if chunk:
            handed += services.cases_reassign(case_ids=chunk, assignee_id=user_id, actor=actor)
    sample = list(Customer.objects.order_by("pk").values("pk", "name")[: max(1, customers_sample)])
    accounts["customers"] = [{"id": c["pk"], "name": c["name"]} for c in sample]
    accounts["cases_handed"] = handed
    return accounts
