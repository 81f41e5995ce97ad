"""Notice rules: the rule in force for a region and an expiry date (property-tested against a
reference written here, in Python and in the SQL planning and the watchlist use), planning inside a
rule's window, the adverse-change notice, the proof channels and the services' refusals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError
from notifications.models import NoticeProof, NoticeRule, OutboundMessage
from notifications.notice_rules import services as rule_services
from notifications.notice_rules.models import ALL_REGIONS, NoticeType
from notifications.notice_rules.selectors import (
    annotate_notice_rule,
    case_notice_rule,
    notice_rule_in_force,
    rule_in_force,
)
from notifications.selectors import notice_watchlist
from notifications.services import notice_letter_record, reminders_plan
from renewals.models import Quote, RenewalCase, SettingsChange
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
BASE = dt.date(2027, 1, 1)
REGIONS = ("Zhejiang", "Jiangsu")  # rules exist for these; Henan has none of its own


def reference_rule(versions, *, region, on_date):
    """The rule in force, written plainly: the region's own version in force that day, else the
    "all" version in force that day (versions of one key never overlap)."""
    for wanted in (region, ALL_REGIONS):
        for version in versions:
            starts, ends = version["effective_from"], version["effective_to"]
            if version["region"] == wanted and starts <= on_date and (ends is None or on_date <= ends):
                return version["key"]
    return None


@st.composite
def rule_versions(draw):
    """Non-overlapping versions per region (including "all"): sorted starts, each ending before the
    next starts (sometimes with a gap), the last sometimes open-ended."""
    versions = []
    for region in (*REGIONS, ALL_REGIONS):
        starts = sorted(draw(st.sets(st.integers(min_value=-200, max_value=400), max_size=4)))
        for index, start in enumerate(starts):
            following = starts[index + 1] if index + 1 < len(starts) else None
            if following is None:
                end = draw(st.one_of(st.none(), st.integers(min_value=start, max_value=start + 300)))
            else:
                end = draw(st.integers(min_value=start, max_value=following - 1))
            versions.append(
                {
                    "region": region,
                    "effective_from": BASE + dt.timedelta(days=start),
                    "effective_to": None if end is None else BASE + dt.timedelta(days=end),
                    "min_days": draw(st.integers(min_value=0, max_value=60)),
                }
            )
    return versions


@pytest.fixture
def region_cases(db):
    """One open auto case per region (two with rules of their own, one without)."""
    return {
        region: RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(region=region)))
        for region in (*REGIONS, "Henan")
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    versions=rule_versions(),
    days=st.lists(st.integers(min_value=-250, max_value=800), min_size=1, max_size=6),
)
def test_the_rule_in_force_is_the_regions_own_version_of_that_date_else_alls(region_cases, versions, days):
    auto = line("auto")
    with transaction.atomic():
        # given the seeded default left aside and these versions of the renewal rule
        NoticeRule.objects.filter(line=auto).delete()
        made = []
        for version in versions:
            rule = NoticeRule.objects.create(
                line=auto,
                notice_type=NoticeType.RENEWAL,
                proof_channels=["email", "letter"],
                **{k: version[k] for k in ("region", "effective_from", "effective_to", "min_days")},
            )
            made.append({**version, "key": rule.pk})
        for offset in days:
            on_date = BASE + dt.timedelta(days=offset)
            RenewalCase.objects.filter(pk__in=[c.pk for c in region_cases.values()]).update(due_date=on_date)
            # when the rule is chosen in Python, by one query, and in SQL for the cases of that date
            rules = list(NoticeRule.objects.filter(line=auto))
            in_sql = dict(
                annotate_notice_rule(
                    RenewalCase.objects.filter(pk__in=[c.pk for c in region_cases.values()])
                ).values_list("customer__region", "notice_rule_id")
            )
            for region in (*REGIONS, "Henan"):
                expected = reference_rule(made, region=region, on_date=on_date)
                # then all three agree with the reference
                found = rule_in_force(rules, region=region, on_date=on_date)
                assert (found.pk if found else None) == expected
                one = notice_rule_in_force(
                    line_id=auto.pk, region=region, notice_type=NoticeType.RENEWAL, on_date=on_date
                )
                assert (one.pk if one else None) == expected
                assert in_sql[region] == expected
        transaction.set_rollback(True)


def reference_notice_rule(renewals, adverses, *, region, on_date, rise_percent, drops_rider=False):
    """The rule a case's notice follows, written plainly: the adverse-change rule in force when the
    quote rises above its threshold or drops a rider of the expiring policy (reduced cover) and it
    asks at least the renewal rule's days (the stricter wins), else the renewal rule in force."""
    renewal = reference_rule(renewals, region=region, on_date=on_date)
    adverse = reference_rule(adverses, region=region, on_date=on_date)
    if adverse is not None:
        by_key = {v["key"]: v for v in (*renewals, *adverses)}
        renewal_min = by_key[renewal]["min_days"] if renewal is not None else None
        stricter = renewal_min is None or by_key[adverse]["min_days"] >= renewal_min
        rises = rise_percent is not None and rise_percent > by_key[adverse]["rise"]
        if stricter and (rises or drops_rider):
            return adverse
    return renewal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    renewals=rule_versions(),
    adverses=rule_versions(),
    rises=st.lists(st.integers(min_value=0, max_value=30), min_size=12, max_size=12),
    quoted=st.lists(st.one_of(st.none(), st.integers(min_value=900, max_value=1400)), min_size=3, max_size=3),
    drops=st.lists(st.booleans(), min_size=3, max_size=3),
    days=st.lists(st.integers(min_value=-250, max_value=800), min_size=1, max_size=4),
)
def test_the_adverse_rule_applies_only_when_at_least_as_strict(
    region_cases, renewals, adverses, rises, quoted, drops, days
):
    from renewals.addons.models import AddOn, PolicyAddOn, QuoteAddOn

    auto = line("auto")
    cases = [region_cases[region] for region in (*REGIONS, "Henan")]
    with transaction.atomic():
        # given renewal and adverse-change versions (each with its threshold) and quotes on 1,000.00
        NoticeRule.objects.filter(line=auto).delete()
        made = {NoticeType.RENEWAL: [], NoticeType.ADVERSE_CHANGE: []}
        for notice_type, versions in ((NoticeType.RENEWAL, renewals), (NoticeType.ADVERSE_CHANGE, adverses)):
            for index, version in enumerate(versions):
                rise = Decimal(rises[index % len(rises)]) if notice_type == NoticeType.ADVERSE_CHANGE else None
                rule = NoticeRule.objects.create(
                    line=auto,
                    notice_type=notice_type,
                    rate_rise_percent=rise,
                    proof_channels=["email"],
                    **{k: version[k] for k in ("region", "effective_from", "effective_to", "min_days")},
                )
                made[notice_type].append({**version, "key": rule.pk, "rise": rise})
        RenewalCase.objects.filter(pk__in=[c.pk for c in cases]).update(expiring_premium=Decimal("1000.00"))
        # every expiring policy carries a rider (and a service); a quote keeps the rider unless it drops it
        rider = AddOn.objects.create(code="prop-rider", line=auto, kind=AddOn.Kind.RIDER, name="Rider")
        service = AddOn.objects.create(code="prop-service", line=auto, kind=AddOn.Kind.SERVICE, name="Service")
        rise_of, dropped = {}, {}
        for case, premium, drop in zip(cases, quoted, drops, strict=True):
            case.refresh_from_db()
            for addon in (rider, service):
                PolicyAddOn.objects.create(policy_id=case.policy_id, addon=addon)
            region = case.customer.region
            if premium is None:
                RenewalCase.objects.filter(pk=case.pk).update(current_quote=None)
                rise_of[region], dropped[region] = None, False
            else:
                quote = _quote(case, Decimal(premium))
                if not drop:
                    QuoteAddOn.objects.create(quote=quote, addon=rider, premium=Decimal("10.00"))
                rise_of[region] = Decimal(premium - 1000) / 10
                dropped[region] = drop  # a dropped service is not reduced cover
        for offset in days:
            on_date = BASE + dt.timedelta(days=offset)
            RenewalCase.objects.filter(pk__in=[c.pk for c in cases]).update(due_date=on_date)
            # when the rule is chosen in Python and in SQL
            in_sql = dict(
                annotate_notice_rule(RenewalCase.objects.filter(pk__in=[c.pk for c in cases])).values_list(
                    "customer__region", "notice_rule_id"
                )
            )
            for case in RenewalCase.objects.filter(pk__in=[c.pk for c in cases]).select_related(
                "customer", "current_quote"
            ):
                region = case.customer.region
                expected = reference_notice_rule(
                    made[NoticeType.RENEWAL],
                    made[NoticeType.ADVERSE_CHANGE],
                    region=region,
                    on_date=on_date,
                    rise_percent=rise_of[region],
                    drops_rider=dropped[region],
                )
                # then both agree with the reference
                found = case_notice_rule(case)
                assert (found.pk if found else None) == expected
                assert in_sql[region] == expected
        transaction.set_rollback(True)


def test_an_all_regions_adverse_rule_does_not_shorten_a_regions_renewal_deadline():
    # given Zhejiang's 60-day renewal rule and the all-regions adverse rule: a rise above 10 %, 45 days
    auto = line("auto")
    zhejiang_rule = _rule("Zhejiang", min_days=60)
    due = dt.date(2026, 12, 31)
    zhejiang = RenewalCaseFactory(
        policy=PolicyFactory(end_date=due, premium=Decimal("1000.00"), customer=CustomerFactory(region="Zhejiang"))
    )
    henan = RenewalCaseFactory(
        policy=PolicyFactory(end_date=due, premium=Decimal("1000.00"), customer=CustomerFactory(region="Henan"))
    )
    _quote(zhejiang, Decimal("1300.00"))
    _quote(henan, Decimal("1300.00"))
    adverse = NoticeRule.objects.get(line=auto, notice_type=NoticeType.ADVERSE_CHANGE, region=ALL_REGIONS)
    # when the rule is chosen, then the Zhejiang case keeps 60 days; Henan gets the adverse rule
    rows = dict(annotate_notice_rule(RenewalCase.objects.all()).values_list("pk", "notice_rule_id"))
    assert rows == {zhejiang.pk: zhejiang_rule.pk, henan.pk: adverse.pk}
    assert RenewalCase.objects.get(pk=zhejiang.pk).notice_deadline == due - dt.timedelta(days=60)
    assert case_notice_rule(RenewalCase.objects.get(pk=zhejiang.pk)) == zhejiang_rule


def _rule(region, *, min_days, max_days=None, notice_type=NoticeType.RENEWAL, rise=None, channels=None, **dates):
    return NoticeRule.objects.create(
        line=line("auto"),
        region=region,
        notice_type=notice_type,
        min_days=min_days,
        max_days=max_days,
        rate_rise_percent=rise,
        proof_channels=channels or ["email", "sms", "letter"],
        effective_from=dates.get("effective_from", dt.date(2026, 1, 1)),
        effective_to=dates.get("effective_to"),
    )


def _notice(case):
    return OutboundMessage.objects.filter(case=case, is_notice=True).first()


def test_a_region_requiring_a_window_gets_its_notice_inside_it():
    # given auto's T-45 notice step and Zhejiang requiring the notice 30 to 40 days before expiry
    _rule("Zhejiang", min_days=30, max_days=40)
    due = dt.date(2026, 12, 31)
    zhejiang = RenewalCaseFactory(policy=PolicyFactory(end_date=due, customer=CustomerFactory(region="Zhejiang")))
    other = RenewalCaseFactory(policy=PolicyFactory(end_date=due, customer=CustomerFactory(region="Henan")))
    # when planning runs 45 days before expiry, then 40 days before
    reminders_plan(on_date=due - dt.timedelta(days=45))
    first_zhejiang = _notice(zhejiang)
    reminders_plan(on_date=due - dt.timedelta(days=40))
    # then the default-rule case got its notice at T-45, the Zhejiang one only at T-40 (its window's start)
    assert _notice(other).due_date == due - dt.timedelta(days=45)
    assert first_zhejiang is None
    assert _notice(zhejiang).due_date == due - dt.timedelta(days=40)
    # and the Zhejiang case's deadline is 30 days before expiry, the other's the line's 45
    assert RenewalCase.objects.get(pk=zhejiang.pk).notice_deadline == due - dt.timedelta(days=30)
    assert RenewalCase.objects.get(pk=other.pk).notice_deadline == due - dt.timedelta(days=45)


def test_a_longer_minimum_plans_the_notice_earlier_than_its_step():
    # given Jiangsu requiring 60 days for expiries from 2027 (auto's step is T-45)
    _rule("Jiangsu", min_days=60, effective_from=dt.date(2027, 1, 1))
    early = RenewalCaseFactory(
        policy=PolicyFactory(end_date=dt.date(2026, 12, 31), customer=CustomerFactory(region="Jiangsu"))
    )
    later = RenewalCaseFactory(
        policy=PolicyFactory(end_date=dt.date(2027, 1, 31), customer=CustomerFactory(region="Jiangsu"))
    )
    # when planning runs on 2026-12-02 (T-60 of the later expiry, T-29 of the earlier)
    reminders_plan(on_date=dt.date(2026, 12, 2))
    # then both notices are planned: the earlier on its T-45 step, the later on its rule's T-60
    assert _notice(early).due_date == dt.date(2026, 11, 16)
    assert _notice(later).due_date == dt.date(2026, 12, 2)


def _quote(case, premium):
    quote = Quote.objects.create(
        case=case,
        expiring_premium=case.expiring_premium,
        base_rate_factor=Decimal("1"),
        claims_factor=Decimal("1"),
        loyalty_factor=Decimal("1"),
        premium=premium,
    )
    RenewalCase.objects.filter(pk=case.pk).update(current_quote=quote)
    return quote


def test_a_premium_rise_above_the_threshold_gets_the_adverse_change_notice():
    # given the adverse-change rule for all regions: a rise above 15 % needs 60 days' notice
    NoticeRule.objects.filter(line=line("auto"), notice_type=NoticeType.ADVERSE_CHANGE).update(
        rate_rise_percent=Decimal("15"), min_days=60
    )
    due = dt.date(2026, 12, 31)
    rising = RenewalCaseFactory(policy=PolicyFactory(end_date=due, premium=Decimal("1000.00")))
    modest = RenewalCaseFactory(policy=PolicyFactory(end_date=due, premium=Decimal("1000.00")))
    _quote(rising, Decimal("1150.01"))  # +15.001 %
    _quote(modest, Decimal("1150.00"))  # exactly +15 %: not above
    # when planning runs 60 days before expiry
    reminders_plan(on_date=due - dt.timedelta(days=60))
    # then only the rising case's notice goes out now, under the adverse-change rule
    assert _notice(rising).due_date == due - dt.timedelta(days=60)
    assert _notice(modest) is None
    rows = dict(annotate_notice_rule(RenewalCase.objects.all()).values_list("pk", "notice_rule_id"))
    adverse = NoticeRule.objects.get(line=line("auto"), notice_type=NoticeType.ADVERSE_CHANGE)
    assert rows[rising.pk] == adverse.pk
    assert NoticeRule.objects.get(pk=rows[modest.pk]).notice_type == NoticeType.RENEWAL
    assert RenewalCase.objects.select_related("line").get(pk=rising.pk).notice_deadline == dt.date(2026, 11, 1)


def test_the_watchlist_names_the_rule_and_uses_its_deadline():
    # given Zhejiang's 30-day rule and two cases expiring 2026-12-31, on 2026-11-28
    _rule("Zhejiang", min_days=30)
    due = dt.date(2026, 12, 31)
    zhejiang = RenewalCaseFactory(policy=PolicyFactory(end_date=due, customer=CustomerFactory(region="Zhejiang")))
    other = RenewalCaseFactory(policy=PolicyFactory(end_date=due, customer=CustomerFactory(region="Henan")))
    # when the watchlist is read on 2026-11-15 (the default deadline 11-16 is near; Zhejiang's 12-01 is not)
    rows, _cursor = notice_watchlist(today=dt.date(2026, 11, 15))
    # then only the default-rule case shows, naming its rule
    assert [row.case.pk for row in rows] == [other.pk]
    assert rows[0].deadline == dt.date(2026, 11, 16)
    assert "Renewal notice" in rows[0].rule_label and "45" in rows[0].rule_label
    # and on 2026-11-29 both show, Zhejiang's with its own rule and deadline
    rows, _cursor = notice_watchlist(today=dt.date(2026, 11, 29))
    by_case = {row.case.pk: row for row in rows}
    assert by_case[zhejiang.pk].deadline == dt.date(2026, 12, 1)
    assert by_case[zhejiang.pk].level == "amber" and by_case[other.pk].level == "red"
    assert "Zhejiang" in by_case[zhejiang.pk].rule_label


def test_a_letter_is_refused_as_proof_when_the_rule_does_not_accept_it(manager):
    # given Zhejiang's rule accepting e-mail and SMS only
    _rule("Zhejiang", min_days=45, channels=["email", "sms"])
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(region="Zhejiang")))
    # when a manager records a posted letter, then it is refused and no proof is written
    with pytest.raises(ApplicationError) as refused:
        notice_letter_record(case_id=case.pk, posted_on=dt.date(2026, 11, 10), note="", actor=manager)
    assert refused.value.status == 409
    assert not NoticeProof.objects.filter(case=case).exists()


# --- services ------------------------------------------------------------------------------------

TODAY = dt.date(2026, 11, 1)


def _create(manager, **overrides):
    values = {
        "actor": manager,
        "line_id": line("auto").pk,
        "region": "Zhejiang",
        "notice_type": NoticeType.RENEWAL,
        "min_days": 30,
        "max_days": 40,
        "proof_channels": ["letter", "email", "email"],
        "effective_from": dt.date(2027, 1, 1),
        "today": TODAY,
    }
    values.update(overrides)
    return rule_services.notice_rule_create(**values)


def test_a_new_version_end_dates_the_one_in_force_and_both_are_audited(manager):
    # given Zhejiang's rule from 2027-01-01
    first = _create(manager)
    # when a new version starts on 2027-03-01
    second = _create(manager, min_days=35, max_days=None, effective_from=dt.date(2027, 3, 1))
    # then the first ends on 2027-02-28, the channels are kept in the product's order without repeats
    first.refresh_from_db()
    assert first.effective_to == dt.date(2027, 2, 28)
    assert second.effective_to is None and first.proof_channels == ["email", "letter"]
    areas = list(SettingsChange.objects.filter(area="notice_rule").values_list("changes", flat=True))
    assert {"effective_to": ["", "2027-02-28"]} in areas
    assert any(change.get("min_days") == ["", "35"] for change in areas)


@pytest.mark.parametrize(
    ("overrides", "field", "status"),
    [
        ({"effective_from": dt.date(2026, 10, 31)}, "effective_from", 409),  # in the past
        ({"max_days": 20}, "max_days", 409),  # window upside down
        ({"min_days": 400, "max_days": None}, "min_days", 400),
        ({"min_days": 100, "max_days": None}, "min_days", 409),  # longer than auto's 60-day window
        ({"region": "Atlantis"}, "region", 400),
        ({"proof_channels": []}, "proof_channels", 400),
        ({"proof_channels": ["call"]}, "proof_channels", 400),
        ({"rate_rise_percent": Decimal("5")}, "rate_rise_percent", 409),  # only adverse change has one
        ({"notice_type": NoticeType.ADVERSE_CHANGE}, "rate_rise_percent", 409),  # adverse needs one
        ({"effective_to": dt.date(2026, 11, 30)}, "effective_to", 409),
    ],
)
def test_a_rule_that_cannot_hold_is_refused_with_its_field(manager, overrides, field, status):
    with pytest.raises(ApplicationError) as refused:
        _create(manager, **overrides)
    assert (refused.value.field, refused.value.status) == (field, status)
    assert not NoticeRule.objects.filter(region="Zhejiang").exists()


def test_versions_only_go_forward_and_an_end_date_cannot_cover_a_later_version(manager):
    first = _create(manager)
    _create(manager, effective_from=dt.date(2027, 3, 1))
    with pytest.raises(ApplicationError) as refused:
        _create(manager, effective_from=dt.date(2027, 1, 1))
    assert refused.value.field == "effective_from" and refused.value.status == 409
    with pytest.raises(ApplicationError) as refused:
        rule_services.notice_rule_end(actor=manager, rule_id=first.pk, effective_to=dt.date(2027, 3, 5), today=TODAY)
    assert refused.value.status == 409


def test_a_rule_cannot_reach_expiries_whose_notice_is_already_owed(manager):
    # given auto's default rules (45 days, all regions) and a Zhejiang case expiring in 50 days,
    # its notice owed by 2026-11-06
    case = RenewalCaseFactory(
        policy=PolicyFactory(end_date=TODAY + dt.timedelta(days=50), customer=CustomerFactory(region="Zhejiang"))
    )
    # when a manager adds a 60-day rule "for expiries from today", or from 59 days on
    for start in (TODAY, TODAY + dt.timedelta(days=59)):
        with pytest.raises(ApplicationError) as refused:
            _create(manager, min_days=60, max_days=None, effective_from=start)
        # then it is refused naming the field, with the first day it may start
        assert (refused.value.field, refused.value.status) == ("effective_from", 409)
        assert "60 days" in refused.value.message and "notices already owed keep their rule" in refused.value.message
    # and the case keeps its deadline
    assert RenewalCase.objects.get(pk=case.pk).notice_deadline == TODAY + dt.timedelta(days=5)
    # a shorter new rule still waits for the longest rule it replaces (the default's 45 days)
    with pytest.raises(ApplicationError):
        _create(manager, min_days=30, max_days=None, effective_from=TODAY + dt.timedelta(days=44))
    assert _create(manager, min_days=30, max_days=None, effective_from=TODAY + dt.timedelta(days=45))
    # a 60-day rule from 60 days on is accepted
    assert _create(manager, region="Jiangsu", min_days=60, max_days=None, effective_from=TODAY + dt.timedelta(days=60))


def test_an_end_date_cannot_reach_expiries_whose_notice_is_already_owed(manager):
    # given Zhejiang's 60-day rule in force since 2026-01-01 (the longest of auto's rules)
    rule = _rule("Zhejiang", min_days=60)
    # when it is end-dated for expiries until the day after tomorrow (cases falling back to 45 days
    # would have had their notice owed for 60)
    with pytest.raises(ApplicationError) as refused:
        rule_services.notice_rule_end(
            actor=manager, rule_id=rule.pk, effective_to=TODAY + dt.timedelta(days=58), today=TODAY
        )
    assert (refused.value.field, refused.value.status) == ("effective_to", 409)
    rule.refresh_from_db()
    assert rule.effective_to is None
    # then the first day it may end on is the day before 60 days from today
    ended = rule_services.notice_rule_end(
        actor=manager, rule_id=rule.pk, effective_to=TODAY + dt.timedelta(days=59), today=TODAY
    )
    assert ended.effective_to == TODAY + dt.timedelta(days=59)


def test_only_managers_change_rules(specialist):
    with pytest.raises(ApplicationError) as refused:
        _create(specialist)
    assert refused.value.status == 403


def test_end_dating_a_rule_keeps_it_for_earlier_expiries(manager):
    rule = _create(manager)
    ended = rule_services.notice_rule_end(
        actor=manager, rule_id=rule.pk, effective_to=dt.date(2027, 1, 31), today=TODAY
    )
    assert ended.effective_to == dt.date(2027, 1, 31)
    assert (
        notice_rule_in_force(
            line_id=rule.line_id, region="Zhejiang", notice_type=NoticeType.RENEWAL, on_date=dt.date(2027, 1, 31)
        )
        == rule
    )
    fallback = notice_rule_in_force(
        line_id=rule.line_id, region="Zhejiang", notice_type=NoticeType.RENEWAL, on_date=dt.date(2027, 2, 1)
    )
    assert fallback.region == ALL_REGIONS
    # an end date in the past is refused
    with pytest.raises(ApplicationError):
        rule_services.notice_rule_end(actor=manager, rule_id=rule.pk, effective_to=dt.date(2026, 10, 1), today=TODAY)


def test_a_new_line_gets_its_default_rules(manager):
    from renewals.services import line_save

    new = line_save(
        actor=manager, code="marine", name="Marine", renewal_window_days=60, grace_days=10, notice_lead_days=30
    )
    rules = {rule.notice_type: rule for rule in NoticeRule.objects.filter(line=new)}
    assert rules[NoticeType.RENEWAL].min_days == 30 and rules[NoticeType.RENEWAL].region == ALL_REGIONS
    assert rules[NoticeType.ADVERSE_CHANGE].rate_rise_percent == new.rate_shock_percent


def test_the_notice_document_says_it_is_an_adverse_change_notice(specialist):
    from documents import services as document_services
    from documents.models import DocumentKind
    from tests.documents.conftest import pdf_text, quoted_case

    # given a quote raising the premium by 10 % (3,000.00 → 3,299.94) and a 5 % adverse-change rule of 60 days
    NoticeRule.objects.filter(line=line("auto"), notice_type=NoticeType.ADVERSE_CHANGE).update(
        rate_rise_percent=Decimal("5"), min_days=60
    )
    case = quoted_case(language="en", assignee=specialist)
    # when the notice is issued, then it announces the adverse change and the rule's deadline (T-60)
    text = pdf_text(bytes(document_services.document_issue(case_id=case.pk, kind=DocumentKind.NOTICE).content))
    assert "Adverse change notice: the renewal premium rises by more than 5.00%." in text
    assert "Notice due by Nov. 1, 2026" in text
    # and a plain renewal notice says nothing of the kind
    NoticeRule.objects.filter(line=line("auto"), notice_type=NoticeType.ADVERSE_CHANGE).update(
        rate_rise_percent=Decimal("10")
    )
    plain = quoted_case(language="en", assignee=specialist)
    text = pdf_text(bytes(document_services.document_issue(case_id=plain.pk, kind=DocumentKind.NOTICE).content))
    assert "Adverse change" not in text


def test_the_demo_rules_are_in_force_from_today(manager):
    from demo.notice_rules import notice_rules_demo_seed

    assert notice_rules_demo_seed(today=TODAY, manager=manager) == 4
    zhejiang = notice_rule_in_force(
        line_id=line("auto").pk, region="Zhejiang", notice_type=NoticeType.RENEWAL, on_date=TODAY
    )
    assert (zhejiang.min_days, zhejiang.max_days) == (30, 50)


def test_a_quote_dropping_a_rider_gets_the_adverse_change_notice():
    from renewals.addons.models import AddOn, PolicyAddOn, QuoteAddOn

    # given the adverse-change rule (a rise above 10 %, 60 days) and two policies carrying a rider
    NoticeRule.objects.filter(line=line("auto"), notice_type=NoticeType.ADVERSE_CHANGE).update(min_days=60)
    rider = AddOn.objects.create(code="glass", line=line("auto"), kind=AddOn.Kind.RIDER, name="Glass")
    service = AddOn.objects.create(code="towing", line=line("auto"), kind=AddOn.Kind.SERVICE, name="Towing")
    due = dt.date(2026, 12, 31)
    dropping = RenewalCaseFactory(policy=PolicyFactory(end_date=due, premium=Decimal("1000.00")))
    keeping = RenewalCaseFactory(policy=PolicyFactory(end_date=due, premium=Decimal("1000.00")))
    for case in (dropping, keeping):
        PolicyAddOn.objects.create(policy=case.policy, addon=rider)
        PolicyAddOn.objects.create(policy=case.policy, addon=service)
    # the same premium (no rise); one quote drops the rider, the other drops only the service
    _quote(dropping, Decimal("1000.00"))
    QuoteAddOn.objects.create(quote=_quote(keeping, Decimal("1000.00")), addon=rider, premium=Decimal("10.00"))
    # when planning runs 60 days before expiry
    reminders_plan(on_date=due - dt.timedelta(days=60))
    # then only the dropping case's notice goes out now, under the adverse-change rule, in SQL and in Python
    assert _notice(dropping).due_date == due - dt.timedelta(days=60)
    assert _notice(keeping) is None
    adverse = NoticeRule.objects.get(line=line("auto"), notice_type=NoticeType.ADVERSE_CHANGE)
    rows = dict(annotate_notice_rule(RenewalCase.objects.all()).values_list("pk", "notice_rule_id"))
    assert rows[dropping.pk] == adverse.pk
    assert NoticeRule.objects.get(pk=rows[keeping.pk]).notice_type == NoticeType.RENEWAL
    assert case_notice_rule(RenewalCase.objects.get(pk=dropping.pk)) == adverse
    assert case_notice_rule(RenewalCase.objects.get(pk=keeping.pk)).notice_type == NoticeType.RENEWAL
    # and its notice document says the cover is reduced
    from notifications.notice_rules.selectors import case_notice_kind

    assert "drops cover" in case_notice_kind(RenewalCase.objects.get(pk=dropping.pk))
    assert case_notice_kind(RenewalCase.objects.get(pk=keeping.pk)) == ""
