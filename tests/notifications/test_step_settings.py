"""Managers shape each line's schedule on the settings screen: add and remove steps, change a step's
channel and the notice's channel order, with the audit log; a new line gets a whole schedule; the
line's notice lead time and its notice step stay consistent."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from notifications.defaults import TEXTS
from notifications.models import MessageTemplate, NoticeChannel, OutboundMessage, ReminderStep
from notifications.services import reminders_plan
from renewals import services as renewal_services
from renewals.models import LineOfInsurance, SettingsChange
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
MessageStatus = OutboundMessage.Status
DUE = dt.date(2026, 12, 31)


def audit(area: str) -> list[SettingsChange]:
    return list(SettingsChange.objects.filter(area=area).order_by("id"))


# --- adding a step ---------------------------------------------------------------------------


def test_a_manager_adds_a_step_with_the_default_texts_and_it_is_planned(client_for, manager):
    auto = line("auto")
    client = client_for(manager)
    assert client.get(f"/notifications/settings/lines/{auto.pk}/steps/new/").status_code == 200
    # when the manager adds a T−21 email to auto
    response = client.post(
        f"/notifications/settings/lines/{auto.pk}/steps/new/", {"offset_days": "-21", "channel": "email"}
    )
    # then the step exists, active, with the default reminder email in both languages
    assert response.status_code == 302
    added = ReminderStep.objects.get(line=auto, offset_days=-21, channel="email")
    assert (added.active, added.is_notice) == (True, False)
    texts = {t.language: (t.subject, t.body) for t in MessageTemplate.objects.filter(step=added)}
    assert texts == TEXTS[("reminder", "email")]
    # and it shows on the settings page and is planned like any other step
    assert "T−21" in client.get("/notifications/settings/").content.decode()
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    reminders_plan(on_date=DUE - dt.timedelta(days=21))
    assert OutboundMessage.objects.filter(case=case, step=added, status=MessageStatus.SCHEDULED).exists()
    # and the audit log has it
    (change,) = audit("reminder_step")
    assert change.actor == manager
    assert change.changes == {"offset_days": ["", "-21"], "channel": ["", "email"]}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"offset_days": "-30", "channel": "sms"}, "already has that step"),
        ({"offset_days": "-21", "channel": "letter"}, "Select a valid choice"),
        ({"offset_days": "-400", "channel": "sms"}, "greater than or equal to -366"),
        ({"offset_days": "abc", "channel": "sms"}, "Enter a whole number"),
    ],
)
def test_an_impossible_new_step_is_refused_and_nothing_is_saved(client_for, manager, data, error):
    auto = line("auto")
    steps_before = ReminderStep.objects.count()
    response = client_for(manager).post(f"/notifications/settings/lines/{auto.pk}/steps/new/", data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert ReminderStep.objects.count() == steps_before
    assert not audit("reminder_step")


def test_only_managers_change_the_schedule(client_for, specialist):
    auto = line("auto")
    client = client_for(specialist)
    assert client.post(f"/notifications/settings/lines/{auto.pk}/steps/new/", {"offset_days": "-21"}).status_code == 403
    assert client.post(f"/notifications/settings/steps/{step('auto', -30, 'sms').pk}/remove/").status_code == 403
    assert ReminderStep.objects.filter(line=auto, offset_days=-30, removed_at__isnull=True).exists()


# --- removing a step -------------------------------------------------------------------------


def test_a_removed_step_leaves_the_schedule_and_its_unsent_messages_are_skipped(client_for, manager):
    # given a T−14 SMS step with one message sent and one still planned
    removed = step("auto", -14, "sms")
    sent = OutboundMessageFactory(step=removed, status=MessageStatus.SENT, sent_at=timezone.now())
    planned = OutboundMessageFactory(step=removed)
    client = client_for(manager)
    # when the manager removes the step
    response = client.post(f"/notifications/settings/steps/{removed.pk}/remove/")
    # then it is gone from the settings page and from planning
    assert response.status_code == 302
    page = client.get("/notifications/settings/").content.decode()
    assert f"/notifications/settings/steps/{removed.pk}/" not in page
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    reminders_plan(on_date=DUE - dt.timedelta(days=14))
    assert not OutboundMessage.objects.filter(case=case, step=removed).exists()
    # and the planned message is skipped with the reason while the history stays
    planned.refresh_from_db()
    sent.refresh_from_db()
    assert (planned.status, planned.skip_reason) == (MessageStatus.SKIPPED, "step_removed")
    assert sent.status == MessageStatus.SENT
    assert [c.changes for c in audit("reminder_step")] == [{"removed": ["False", "True"]}]
    # and adding the same step again brings it back (no second message for cases that had it)
    client.post(f"/notifications/settings/lines/{removed.line_id}/steps/new/", {"offset_days": "-14", "channel": "sms"})
    removed.refresh_from_db()
    assert (removed.removed_at, removed.active) == (None, True)


def test_the_notice_step_cannot_be_removed(client_for, manager):
    notice = ReminderStep.objects.get(line__code="auto", is_notice=True)
    response = client_for(manager).post(f"/notifications/settings/steps/{notice.pk}/remove/", follow=True)
    assert "cannot be removed" in response.content.decode()
    notice.refresh_from_db()
    assert notice.removed_at is None


# --- changing a step's channel ---------------------------------------------------------------


def test_changing_a_steps_channel_applies_from_tomorrow_without_a_second_message(client_for, manager):
    # given a customer whose T−30 SMS went out yesterday
    changed = step("auto", -30, "sms")
    today = timezone.localdate()
    yesterdays = RenewalCaseFactory(policy=PolicyFactory(end_date=today + dt.timedelta(days=29)))
    reminders_plan(on_date=today - dt.timedelta(days=1))
    OutboundMessage.objects.filter(case=yesterdays, step=changed).update(status=MessageStatus.SENT)
    # when the manager makes the step an email
    response = client_for(manager).post(
        f"/notifications/settings/steps/{changed.pk}/", {"offset_days": "-30", "channel": "email", "active": "on"}
    )
    assert response.status_code == 302
    changed.refresh_from_db()
    assert changed.channel == "email"
    # then today's planning does not send that customer the email as well
    reminders_plan(on_date=today)
    assert OutboundMessage.objects.filter(case=yesterdays, step=changed, channel="sms").exists()
    assert not OutboundMessage.objects.filter(case=yesterdays, step=changed, channel="email").exists()
    # while a case whose T−30 is tomorrow gets the email
    tomorrows = RenewalCaseFactory(policy=PolicyFactory(end_date=today + dt.timedelta(days=31)))
    reminders_plan(on_date=today + dt.timedelta(days=1))
    assert OutboundMessage.objects.filter(case=tomorrows, step=changed, channel="email").exists()
    # and the step has email texts in both languages, and the change is audited
    assert set(MessageTemplate.objects.filter(step=changed, channel="email").values_list("language", flat=True)) == {
        "en",
        "zh-hans",
    }
    assert audit("reminder_step")[-1].changes == {"channel": ["sms", "email"]}


def test_the_notice_channel_order_is_edited_on_the_notice_step(client_for, manager):
    notice = ReminderStep.objects.get(line__code="auto", is_notice=True)
    client = client_for(manager)
    page = client.get(f"/notifications/settings/steps/{notice.pk}/").content.decode()
    assert "Notice channels" in page
    response = client.post(
        f"/notifications/settings/steps/{notice.pk}/",
        {"offset_days": "-45", "active": "on", "notice_channel_1": "sms", "notice_channel_2": "letter"},
    )
    assert response.status_code == 302
    order = list(NoticeChannel.objects.filter(line=notice.line).order_by("position").values_list("channel", flat=True))
    assert order == ["sms", "letter"]
    assert audit("notice_channels")[-1].changes == {"channels": ["email, sms, letter", "sms, letter"]}
    assert "SMS → Printed letter" in client.get("/notifications/settings/").content.decode()


@pytest.mark.parametrize(
    "channels",
    [{"notice_channel_1": "sms", "notice_channel_2": "sms"}, {"notice_channel_1": "", "notice_channel_2": "email"}],
)
def test_a_notice_channel_order_with_repeats_or_gaps_is_refused(client_for, manager, channels):
    notice = ReminderStep.objects.get(line__code="auto", is_notice=True)
    response = client_for(manager).post(
        f"/notifications/settings/steps/{notice.pk}/", {"offset_days": "-45", "active": "on", **channels}
    )
    assert response.status_code == 200
    assert "each channel once" in response.content.decode()
    assert list(NoticeChannel.objects.filter(line=notice.line).values_list("channel", flat=True)) == [
        "email",
        "sms",
        "letter",
    ]


def test_step_and_template_edits_are_audited(client_for, manager):
    other = step("auto", -30, "sms")
    client = client_for(manager)
    client.post(f"/notifications/settings/steps/{other.pk}/", {"offset_days": "-28"})
    assert audit("reminder_step")[-1].changes == {"offset_days": ["-30", "-28"], "active": ["True", "False"]}
    template = MessageTemplate.objects.get(step=other, language="en")
    client.post(f"/notifications/settings/templates/{template.pk}/", {"subject": "", "body": "Hi {{ customer_name }}"})
    change = audit("message_template")[-1]
    assert change.actor == manager
    assert change.changes["body"][1] == "Hi {{ customer_name }}"


# --- a new line, and the line's notice lead time ---------------------------------------------


def test_a_new_line_gets_its_schedule_notice_channels_and_texts(manager):
    travel = renewal_services.line_save(
        actor=manager,
        code="travel",
        name="Travel",
        name_zh_hans="旅行险",
        renewal_window_days=40,
        grace_days=10,
        notice_lead_days=21,
        term_months=12,
        active=True,
    )
    steps = {(s.offset_days, s.channel, s.is_notice) for s in ReminderStep.objects.filter(line=travel)}
    assert steps == {(-21, "email", True), (-14, "sms", False), (-7, "call", False), (-1, "sms", False)}
    assert list(NoticeChannel.objects.filter(line=travel).values_list("channel", flat=True)) == [
        "email",
        "sms",
        "letter",
    ]
    notice = ReminderStep.objects.get(line=travel, is_notice=True)
    assert MessageTemplate.objects.filter(step=notice).count() == 4  # email and SMS, two languages
    for added in ReminderStep.objects.filter(line=travel):
        assert MessageTemplate.objects.filter(step=added, language="zh-hans").exists()


def test_a_new_line_with_a_short_lead_time_keeps_only_reminders_after_its_notice(manager):
    short = renewal_services.line_save(
        actor=manager,
        code="pet",
        name="Pet",
        name_zh_hans="宠物险",
        renewal_window_days=20,
        grace_days=5,
        notice_lead_days=10,
        term_months=12,
        active=True,
    )
    steps = sorted((s.offset_days, s.channel) for s in ReminderStep.objects.filter(line=short))
    assert steps == [(-10, "email"), (-7, "call"), (-1, "sms")]


def test_raising_a_lead_time_past_the_notice_step_is_refused(manager):
    auto = line("auto")  # notice step at T−45, lead time 45
    with pytest.raises(ApplicationError) as refused:
        renewal_services.line_save(actor=manager, line_id=auto.pk, notice_lead_days=50)
    assert refused.value.field == "notice_lead_days"
    assert "45 days" in refused.value.message
    assert LineOfInsurance.objects.get(pk=auto.pk).notice_lead_days == 45
    # lowering it is fine
    renewal_services.line_save(actor=manager, line_id=auto.pk, notice_lead_days=40)
    assert LineOfInsurance.objects.get(pk=auto.pk).notice_lead_days == 40


def test_the_settings_page_warns_about_a_notice_step_inside_the_lead_time(client_for, manager):
    LineOfInsurance.objects.filter(code="auto").update(notice_lead_days=50)  # e.g. changed in the admin
    text = client_for(manager).get("/notifications/settings/").content.decode()
    assert "goes out 45 days before expiry" in text
