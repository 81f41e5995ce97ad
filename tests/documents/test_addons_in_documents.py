"""The offer lists the add-ons it carries (priced lines of the breakdown, in the customer's
language) and counts them as one share of the change; the confirmation names the successor's."""

import datetime as dt
from decimal import Decimal

import pytest

from documents import services
from documents.content import premium_change, share_words
from documents.models import DocumentKind
from renewals import services as renewal_services
from tests.customers.factories import CustomerFactory
from tests.documents.conftest import pdf_text
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(specialist):
    customer = CustomerFactory(preferred_language="zh-hans", name="王小明", segment="vip")
    policy = PolicyFactory(customer=customer, premium=Decimal("3000.00"), end_date=dt.date(2026, 12, 31))
    case = RenewalCaseFactory(assignee=specialist, policy=policy)
    renewal_services.quote_prepare(case_id=case.pk, actor=specialist, addon_codes=["auto-glass", "auto-road-assist"])
    case.refresh_from_db()
    return case


def test_the_chinese_offer_lists_each_addon_with_its_price(case, specialist):
    text = pdf_text(bytes(services.document_issue(case_id=case.pk, kind=DocumentKind.OFFER, actor=specialist).content))
    # 3,000.00 × 1.03 = 3,090.00 base, + 320.00 glass, + road assistance free = 3,410.00
    for expected in ("玻璃单独破碎险", "道路救援", "CNY 320.00", "CNY 3,410.00", "免费", "您选择的附加项目"):
        assert expected in text, expected
    assert "auto-glass" not in text  # names, never the codes


def test_addons_are_one_share_of_the_change_by_hand():
    breakdown = [
        {"code": "expiring", "amount": "3000.00"},
        {"code": "base_rate", "amount": "3090.00"},
        {"code": "addon", "amount": "3410.00", "price": "320.00", "detail": "auto-glass"},
        {"code": "addon", "amount": "3510.00", "price": "100.00", "detail": "auto-driver-pa"},
    ]
    change = premium_change(expiring=Decimal("3000.00"), new=Decimal("3510.00"), breakdown=breakdown)
    assert [(s.code, s.amount, s.percent) for s in change.shares] == [
        ("base_rate", Decimal("90.00"), Decimal("3.0")),
        ("addons", Decimal("420.00"), Decimal("14.0")),
    ]
    assert share_words(change.shares[1]) == "the add-ons you chose +14.0 %"


def test_the_confirmation_names_the_successors_addons(
    case, specialist, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_renewed(case_id=case.pk, actor=specialist)
    case.refresh_from_db()
    document = services.document_issue(case_id=case.pk, kind=DocumentKind.CONFIRMATION, actor=specialist)
    assert "玻璃单独破碎险、道路救援" in pdf_text(bytes(document.content))
