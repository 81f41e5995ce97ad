"""The non-renewal notice: a case the insurer declines to renew (not offered) gets the statutory
non-renewal notice under the non-renewal rule in force (its day, its deadline, its proof), in the
customer's language, and no renewal reminders; reopened, its unsent notice is a renewal notice again."""

import datetime as dt
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import NoticeProof, NoticeRule, OutboundMessage
from notifications.notice_rules.models import ALL_REGIONS, NoticeType
from notifications.notice_rules.selectors import case_notice_rule
from notifications.selectors import notice_watchlist
from renewals import services as case_services
from renewals.models import RenewalCase
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 12, 31)


def _zhejiang_rule(min_days, **dates):
    return NoticeRule.objects.create(
        line=line("auto"),
        region="Zhejiang",
        notice_type=NoticeType.NON_RENEWAL,
        min_days=min_days,
        proof_channels=["email", "sms", "letter"],
        effective_from=dates.get("effective_from", dt.date(2026, 1, 1)),
        effective_to=dates.get("effective_to"),
    )


def _not_offered_case(specialist, *, language="en", region="Zhejiang", due=DUE):
    customer = CustomerFactory(region=region, preferred_language=language, name="Ada Lovelace")
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=due, customer=customer), assignee=specialist)
    case_services.case_mark_not_offered(case_id=case.pk, actor=specialist, reason_code="underwriting")
    return RenewalCase.objects.get(pk=case.pk)


def _rows(case):
    return list(OutboundMessage.objects.filter(case=case).order_by("id"))


def test_every_line_has_a_default_non_renewal_rule_of_its_lead_days():
    for code, days in (("auto", 45), ("health", 45), ("property", 60)):
        rule = NoticeRule.objects.get(line=line(code), notice_type=NoticeType.NON_RENEWAL)
        assert (rule.region, rule.min_days, rule.effective_to) == (ALL_REGIONS, days, None)


def test_a_not_offered_case_gets_one_non_renewal_notice_on_its_rules_day_and_no_reminders(specialist):
    # given Zhejiang's 60-day non-renewal rule (auto's notice step is T-45, its reminders T-30 …)
    rule = _zhejiang_rule(60)
    case = _not_offered_case(specialist)
    open_case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE, customer=CustomerFactory(region="Zhejiang")))
    # when planning runs 61 days before expiry, then on the rule's day, then again
    assert services.reminders_plan(on_date=DUE - dt.timedelta(days=61)) == 0
    services.reminders_plan(on_date=DUE - dt.timedelta(days=60))
    again = services.reminders_plan(on_date=DUE - dt.timedelta(days=60))
    # then the case has exactly one row: the notice at T-60, scheduled; re-planning added nothing
    rows = _rows(case)
    assert [(row.is_notice, row.status, row.due_date) for row in rows] == [(True, "scheduled", dt.date(2026, 11, 1))]
    assert again == 0
    assert case_notice_rule(case) == rule
    assert case.notice_deadline == dt.date(2026, 11, 1)
    # and planning through expiry gives it no reminder, while the open case gets its reminders
    for day in range(59, -1, -1):
        services.reminders_plan(on_date=DUE - dt.timedelta(days=day))
    assert len(_rows(case)) == 1
    assert OutboundMessage.objects.filter(case=open_case, is_notice=False).exists()


def test_the_deadline_follows_the_rule_version_in_force_for_the_expiry(specialist):
    # given a 50-day version until 2026-12-30 and a 70-day version from 2026-12-31
    _zhejiang_rule(50, effective_to=dt.date(2026, 12, 30))
    _zhejiang_rule(70, effective_from=dt.date(2026, 12, 31))
    earlier = _not_offered_case(specialist, due=dt.date(2026, 12, 30))
    later = _not_offered_case(specialist, due=DUE)
    default = _not_offered_case(specialist, region="Henan", due=DUE)
    # then each deadline is expiry − the minimum of its version (the default rule's 45 days elsewhere)
    assert earlier.notice_deadline == dt.date(2026, 11, 10)
    assert later.notice_deadline == dt.date(2026, 10, 22)
    assert default.notice_deadline == dt.date(2026, 11, 16)
    # and the watchlist shows the later one at risk under its rule on 2026-10-20
    rows, _cursor = notice_watchlist(today=dt.date(2026, 10, 20))
    assert [row.case.pk for row in rows] == [later.pk]
    assert rows[0].deadline == dt.date(2026, 10, 22)
    assert "Non-renewal notice" in rows[0].rule_label and "70" in rows[0].rule_label


def test_a_notice_planned_before_the_case_is_not_offered_moves_to_the_non_renewal_rules_day(specialist, manager):
    # given an open case whose renewal notice and first reminder are planned
    _zhejiang_rule(60)
    case = RenewalCaseFactory(
        policy=PolicyFactory(end_date=DUE, customer=CustomerFactory(region="Zhejiang")), assignee=specialist
    )
    services.reminders_plan(on_date=DUE - dt.timedelta(days=30))
    assert OutboundMessage.objects.filter(case=case, is_notice=False, status="scheduled").exists()
    # when it is marked not offered
    case_services.case_mark_not_offered(case_id=case.pk, actor=specialist, reason_code="underwriting")
    # then the notice stays scheduled on the non-renewal rule's day and the reminders are skipped
    notice = OutboundMessage.objects.get(case=case, is_notice=True)
    assert (notice.status, notice.due_date) == ("scheduled", dt.date(2026, 11, 1))
    assert set(OutboundMessage.objects.filter(case=case, is_notice=False).values_list("status", flat=True)) == {
        "skipped"
    }
    # and when it is reopened, the unsent notice is a renewal notice again on the renewal rule's day (T-45)
    case_services.case_reopen(
        case_id=case.pk, actor=manager, decision_date=timezone.localdate() + dt.timedelta(days=14)
    )
    notice.refresh_from_db()
    assert (notice.status, notice.due_date) == ("scheduled", dt.date(2026, 11, 16))
    assert case_notice_rule(RenewalCase.objects.get(pk=case.pk)).notice_type == NoticeType.RENEWAL


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("en", "will not be renewed", "your insurer will not renew your"),
        ("zh-hans", "不再续保", "您的保险公司将不再为您的"),
    ],
)
def test_the_non_renewal_notice_is_sent_once_with_its_proof(smtp_server, specialist, language, subject, body):
    # given a not-offered case's notice planned under the 60-day rule
    _zhejiang_rule(60)
    case = _not_offered_case(specialist, language=language)
    services.reminders_plan(on_date=DUE - dt.timedelta(days=60))
    # when dispatch runs, twice
    morning = timezone.now()
    assert services.messages_dispatch_due(now=morning) == {"sent": 1}
    assert services.messages_dispatch_due(now=morning) == {}
    # then the customer got one e-mail in their language announcing the non-renewal
    assert len(smtp_server.messages) == 1
    email = message_from_bytes(smtp_server.messages[0].original_content, policy=policy.default)
    assert subject in email["Subject"]
    assert body in email.get_body().get_content()
    assert "/offer/" not in email.get_body().get_content()
    # and the proof names the non-renewal rule's deadline
    proof = NoticeProof.objects.get(case=case)
    assert (proof.channel, proof.deadline) == ("email", dt.date(2026, 11, 1))
    assert proof.address == case.customer.email


def test_a_new_line_gets_its_default_non_renewal_rule(manager):
    from renewals.services import line_save

    new = line_save(
        actor=manager, code="marine", name="Marine", renewal_window_days=60, grace_days=10, notice_lead_days=30
    )
    rule = NoticeRule.objects.get(line=new, notice_type=NoticeType.NON_RENEWAL)
    assert (rule.region, rule.min_days, rule.rate_rise_percent) == (ALL_REGIONS, 30, None)


def test_the_notice_document_of_a_not_offered_case_says_it_is_a_non_renewal_notice(specialist):
    from documents import services as document_services
    from documents.models import DocumentKind
    from tests.documents.conftest import pdf_text

    # given a not-offered Zhejiang case under a 60-day non-renewal rule
    _zhejiang_rule(60)
    case = _not_offered_case(specialist)
    # when its notice is issued, then it announces the non-renewal and the rule's deadline (T-60)
    text = pdf_text(bytes(document_services.document_issue(case_id=case.pk, kind=DocumentKind.NOTICE).content))
    assert "Non-renewal notice: your insurer will not renew this policy when it expires." in " ".join(text.split())
    assert "Notice due by Nov. 1, 2026" in text
