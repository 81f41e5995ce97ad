"""Add-ons at renewal: priced on top of the base premium, carried by the successor policy, proposed
again at the next renewal, chosen by the customer on the offer page, suggested from the book."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import ApplicationError
from notifications.links import offer_url
from renewals import services
from renewals.addons import selectors as addon_selectors
from renewals.imports import COLUMNS, policies_import
from renewals.models import AddOn, DiscountAuthority, Policy, PolicyAddOn, Quote, RenewalCase, SettingsChange, Stage
from tests.customers.factories import CustomerFactory
from tests.imports.helpers import csv_bytes, row
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line, vip_auto_case

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def case(specialist):
    """Auto, premium 3,000, vehicle 5 years old, a VIP customer (tests.renewals.factories)."""
    return vip_auto_case(specialist)


def test_addons_come_on_top_of_the_base_and_the_discount_covers_the_base_only(case, specialist):
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=D("5"))
    quote = services.quote_prepare(
        case_id=case.pk,
        actor=specialist,
        discount_percent=D("5"),
        addon_codes=["auto-glass", "auto-driver-pa", "auto-road-assist"],
    )
    # By hand: 3000 × 1.03 = 3090.00 (before discount) × 0.95 = 2935.50 base;
    # glass 320.00 fixed; driver accident 6 % of 3090.00 = 185.40; road assistance free.
    assert quote.premium == D("3440.90")
    assert quote.approval_status == Quote.Approval.NOT_REQUIRED  # 5 % is within authority
    addon_steps = [(s["detail"], s["price"], s["amount"]) for s in quote.breakdown if s["code"] == "addon"]
    assert addon_steps == [
        ("auto-glass", "320.00", "3255.50"),
        ("auto-driver-pa", "185.40", "3440.90"),
        ("auto-road-assist", "0.00", "3440.90"),
    ]
    assert [s["code"] for s in quote.breakdown][:5] == ["expiring", "base_rate", "claims", "loyalty", "discount"]


@pytest.mark.parametrize(
    "codes, attributes, segment, message",
    [
        (["auto-driver-pa"], {"vehicle_age": 15}, "vip", "vehicle_age of at most 12"),
        (["auto-driver-pa"], {}, "vip", "needs the policy's vehicle_age"),
        (["auto-inspection"], {"vehicle_age": 5}, "standard", "not offered to this customer segment"),
        (["health-dental"], {"vehicle_age": 5}, "vip", "belongs to another line"),
        (["no-such-thing"], {"vehicle_age": 5}, "vip", "Unknown add-on: no-such-thing."),
        (["auto-glass", "auto-glass"], {"vehicle_age": 5}, "vip", "Each add-on can be chosen once."),
    ],
)
def test_an_addon_the_case_cannot_take_is_refused_with_the_reason(specialist, codes, attributes, segment, message):
    policy = PolicyFactory(attributes=attributes, customer=CustomerFactory(segment=segment))
    case = RenewalCaseFactory(assignee=specialist, policy=policy)
    with pytest.raises(ApplicationError) as err:
        services.quote_prepare(case_id=case.pk, actor=specialist, addon_codes=codes)
    assert err.value.field == "addons" and message in err.value.message
    assert not Quote.objects.filter(case=case).exists()


def test_the_successor_carries_the_addons_and_its_renewal_proposes_them_again(case, specialist):
    services.quote_prepare(case_id=case.pk, actor=specialist, addon_codes=["auto-glass", "auto-road-assist"])
    renewed = services.case_mark_renewed(case_id=case.pk, actor=specialist)
    successor = renewed.successor_policy
    carried = {(a.addon.code, a.premium) for a in PolicyAddOn.objects.filter(policy=successor).select_related("addon")}
    assert carried == {("auto-glass", D("320.00")), ("auto-road-assist", D("0.00"))}
    assert successor.premium == D("3090.00") + D("320.00")

    next_case = RenewalCaseFactory(assignee=specialist, policy=successor)
    quote = services.quote_prepare(case_id=next_case.pk, actor=specialist)  # no choice made: propose
    assert sorted(a.addon.code for a in quote.addon_lines.select_related("addon")) == ["auto-glass", "auto-road-assist"]


def test_the_case_page_posts_the_ticked_addons(client_for, specialist, case):
    page = client_for(specialist).get(f"/cases/{case.pk}/").content.decode()
    assert 'name="quote-addons" value="auto-glass"' in page and 'name="quote-addons_shown"' in page
    assert 'value="health-dental"' not in page  # another line's add-on is not offered
    client_for(specialist).post(
        f"/cases/{case.pk}/quote/",
        {
            "quote-version": "1",
            "quote-discount_percent": "0",
            "quote-addons_shown": "1",
            "quote-addons": ["auto-glass"],
        },
    )
    quote = RenewalCase.objects.get(pk=case.pk).current_quote
    assert quote.premium == D("3410.00")  # 3090.00 + 320.00
    preview = client_for(specialist).get(
        f"/cases/{case.pk}/quote/preview/",
        {"quote-discount_percent": "0", "quote-addons_shown": "1", "quote-addons": ["auto-glass", "auto-driver-pa"]},
    )
    assert "3,595.40" in preview.content.decode()  # 3090 + 320 + 185.40


def test_the_customer_unticks_an_addon_sees_the_new_total_and_confirms(client, specialist, case):
    services.quote_prepare(case_id=case.pk, actor=specialist, addon_codes=["auto-glass", "auto-road-assist"])
    url = offer_url(case)
    page = client.get(url).content.decode()
    assert "3,410.00" in page and 'name="addons" value="auto-glass"' in page
    updated = client.post(url, {"addons_shown": "1", "addons": ["auto-road-assist"], "action": "update"})
    assert "3,090.00" in updated.content.decode()
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.QUOTED  # not confirmed yet
    client.post(url, {"addons_shown": "1", "addons": ["auto-road-assist"], "action": "confirm"})
    case.refresh_from_db()
    assert case.stage == Stage.RENEWED and case.successor_policy.premium == D("3090.00")
    assert [a.addon.code for a in PolicyAddOn.objects.filter(policy=case.successor_policy)] == ["auto-road-assist"]


def test_the_customer_cannot_add_an_addon_that_was_not_offered(client, specialist, case):
    services.quote_prepare(case_id=case.pk, actor=specialist, addon_codes=["auto-road-assist"])
    response = client.post(offer_url(case), {"addons_shown": "1", "addons": ["auto-glass"], "action": "confirm"})
    assert "只能选择报价中提供的附加项目。" in response.content.decode()  # in the customer's language
    case.refresh_from_db()
    assert case.stage == Stage.QUOTED and case.current_quote.premium == D("3090.00")


# --- suggestions from the book -----------------------------------------------------------------
def _renewed_with_offer(segment: str, took: bool, closed_at):
    policy = PolicyFactory(customer=CustomerFactory(segment=segment))
    successor = PolicyFactory(customer=policy.customer, previous_policy=policy)
    case = RenewalCaseFactory(policy=policy, stage=Stage.RENEWED, closed_at=closed_at, successor_policy=successor)
    quote = Quote.objects.create(
        case=case, expiring_premium=D("1000"), base_rate_factor=1, claims_factor=1, loyalty_factor=1, premium=D("1320")
    )
    glass = AddOn.objects.get(code="auto-glass")
    quote.addon_lines.create(addon=glass, premium=D("320.00"))
    if took:
        PolicyAddOn.objects.create(policy=successor, addon=glass, premium=D("320.00"))
    RenewalCase.objects.filter(pk=case.pk).update(current_quote=quote)


def test_attach_rates_by_segment_drive_the_suggestions(specialist):
    recent = timezone.now() - dt.timedelta(days=30)
    for i in range(25):  # VIP: 10 of 25 took glass (40 %); standard: 2 of 25 (8 %)
        _renewed_with_offer("vip", i < 10, recent)
        _renewed_with_offer("standard", i < 2, recent)
    _renewed_with_offer("vip", True, timezone.now() - dt.timedelta(days=400))  # outside the 12 months
    assert addon_selectors.attach_rates_refresh() == 2

    vip_case = RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(customer=CustomerFactory(segment="vip"), attributes={})
    )
    found = {s.code: s for s in addon_selectors.suggestions(case=vip_case)}
    assert "40 % of VIP customers offered it took it" in found["auto-glass"].reason
    assert "25 offers" in found["auto-glass"].reason
    assert found["auto-inspection"].kind == "service"  # a service for a VIP customer
    assert {"health", "property"} <= set(found)  # the next line: no health or property policy

    standard_case = RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(customer=CustomerFactory(segment="standard"))
    )
    PolicyFactory(customer=standard_case.customer, line=line("health"))
    found = {s.code for s in addon_selectors.suggestions(case=standard_case)}
    assert "auto-glass" not in found and "auto-inspection" not in found
    assert "health" not in found and "property" in found


# --- the import's addons column ----------------------------------------------------------------
@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_import_records_the_addons_a_policy_carries(monkeypatch, vendor):
    if vendor == "sqlite":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    data = csv_bytes(
        [
            row(policy_number="P-1", addons="auto-glass|auto-road-assist"),
            row(policy_number="P-2", addons="health-dental"),
            row(policy_number="P-3", addons="auto-glass|nope"),
            row(policy_number="P-4", addons=""),
        ],
        columns=COLUMNS,
    )
    result = policies_import(source=io.BytesIO(data), filename="p.csv")
    assert [(e.row, e.column) for e in result.errors] == [(3, "addons"), (4, "addons")]
    assert "belongs to another line" in result.errors[0].message and "nope" in result.errors[1].message
    carried = dict.fromkeys(Policy.objects.values_list("number", flat=True), ())
    for number, code in PolicyAddOn.objects.values_list("policy__number", "addon__code").order_by("addon__code"):
        carried[number] += (code,)
    assert carried == {"P-1": ("auto-glass", "auto-road-assist"), "P-4": ()}


# --- the settings page ---------------------------------------------------------------------------
def test_a_manager_adds_and_edits_an_addon_on_the_settings_page_audited(client_for, manager, specialist):
    client = client_for(manager)
    page = client.get("/settings/addons/").content.decode()
    assert "auto-glass" in page and 'name="new-code"' in page
    client.post(
        "/settings/addons/",
        {
            "new-code": "auto-tyre",
            "new-line": str(line("auto").pk),
            "new-name": "Tyre rider",
            "new-name_zh_hans": "轮胎险",
            "new-kind": "rider",
            "new-pricing": "share",
            "new-amount": "2.5",
            "new-segments": ["vip", "high_value"],
            "new-active_from": "2026-01-01",
        },
    )
    tyre = AddOn.objects.get(code="auto-tyre")
    assert (tyre.pricing, tyre.amount, tyre.segments) == ("share", D("2.50"), ["high_value", "vip"])
    response = client.post(
        "/settings/addons/",
        {
            "addon_id": str(tyre.pk),
            f"a{tyre.pk}-name": "Tyre rider",
            f"a{tyre.pk}-kind": "rider",
            f"a{tyre.pk}-pricing": "share",
            f"a{tyre.pk}-amount": "150",  # a share above 100 %
            f"a{tyre.pk}-active_from": "2026-01-01",
        },
        follow=True,
    )
    assert "A share is at most 100 percent." in response.content.decode()
    assert AddOn.objects.get(pk=tyre.pk).amount == D("2.50")
    client.post(
        "/settings/addons/",
        {
            "addon_id": str(tyre.pk),
            f"a{tyre.pk}-name": "Tyre and rim rider",
            f"a{tyre.pk}-kind": "rider",
            f"a{tyre.pk}-pricing": "share",
            f"a{tyre.pk}-amount": "3",
            f"a{tyre.pk}-active_from": "2026-01-01",
            f"a{tyre.pk}-active_to": "2027-12-31",
        },
    )
    tyre.refresh_from_db()
    assert (tyre.name, tyre.amount, tyre.segments, tyre.active_to) == (
        "Tyre and rim rider",
        D("3.00"),
        [],
        dt.date(2027, 12, 31),
    )
    change = SettingsChange.objects.filter(area="addon", object_repr="auto-tyre").first()
    assert change.changes["name"] == ["Tyre rider", "Tyre and rim rider"]
    assert client.post("/settings/addons/", {"addon_id": "99999"}).status_code == 404
    assert client_for(specialist).get("/settings/addons/").status_code == 403


def test_the_nightly_task_refreshes_attach_rates():
    from renewals.tasks import refresh_attach_rates

    _renewed_with_offer("vip", True, timezone.now() - dt.timedelta(days=3))
    assert refresh_attach_rates() == 1
