"""Give the three role groups the model permissions that match what their screens allow.

The screens and the API check the group itself (core.roles); these permissions say the same
thing to the Django admin and to anything else that asks ``user.has_perm``. Lives in the highest
app because it names models of every app.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ_ALL = [
    "customers.customer",
    "customers.complaint",
    "customers.complaintevent",
    "customers.surveyresponse",
    "renewals.lineofinsurance",
    "renewals.policy",
    "renewals.renewalcase",
    "renewals.caseevent",
    "renewals.quote",
    "renewals.referral",
    "notifications.outboundmessage",
    "notifications.noticeproof",
]
ROLE_PERMISSIONS = {
    "specialist": [("view", m) for m in READ_ALL]
    + [
        ("change", "renewals.renewalcase"),
        ("add", "renewals.quote"),
        ("add", "renewals.caseevent"),
        ("add", "renewals.referral"),
    ],
    "support": [("view", m) for m in READ_ALL]
    + [
        (action, model)
        for model in (
            "customers.complaint",
            "customers.complaintevent",
            "customers.surveyresponse",
            "customers.surveyfollowup",
            "customers.surveyinvitation",
        )
        for action in ("add", "change", "view")
    ],
    # Managers: everything in the four apps except deleting the book and its history.
    "manager": "all-but-history-deletes",
}
NEVER_DELETED = {
    "customer",
    "policy",
    "renewalcase",
    "caseevent",
    "quote",
    "complaint",
    "complaintevent",
    "surveyresponse",
    "outboundmessage",
    "noticeproof",
    "consentchange",
    "settingschange",
}
APPS = ("customers", "renewals", "notifications", "analytics")


def forwards(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so they can be granted.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if grants == "all-but-history-deletes":
            perms = Permission.objects.filter(content_type__app_label__in=APPS).exclude(
                codename__in=[f"delete_{model}" for model in NEVER_DELETED]
            )
        else:
            codenames = {(model.split(".")[0], f"{action}_{model.split('.')[1]}") for action, model in grants}
            perms = [
                p
                for p in Permission.objects.filter(content_type__app_label__in=APPS).select_related("content_type")
                if (p.content_type.app_label, p.codename) in codenames
            ]
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("analytics", "0003_rollup_month_indexes"),
        ("customers", "0004_customer_voice"),
        ("renewals", "0006_lighter_case_inserts"),
        ("notifications", "0005_outbox_lease_token"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
