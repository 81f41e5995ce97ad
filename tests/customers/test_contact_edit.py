"""Staff change a customer's contact details and consent from the customer page, audited
(issue 12: "Staff can change a customer's contact details and consent ...")."""

import datetime as dt

import pytest
import time_machine

from core.errors import ApplicationError
from customers import services
from customers.models import Customer, CustomerChange
from customers.regions import default_time_zone
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def page_data(customer: Customer, **changes) -> dict:
    """What the contact form posts (prefix ``contact-``), unchanged values included, as a browser
    sends them: unticked checkboxes are left out."""
    values = {
        "phone": customer.phone,
        "email": customer.email,
        "consent_phone": customer.consent_phone,
        "consent_sms": customer.consent_sms,
        "consent_email": customer.consent_email,
        "marketing_opt_out": customer.marketing_opt_out,
        "preferred_channel": customer.preferred_channel,
        "preferred_language": customer.preferred_language,
        "time_zone": customer.time_zone or default_time_zone(customer.region) or "Asia/Shanghai",
        **changes,
    }
    data = {}
    for name, value in values.items():
        if value is True:
            data[f"contact-{name}"] = "on"
        elif value is not False:
            data[f"contact-{name}"] = value
    return data


# --- the service -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_update_writes_one_audit_row_per_changed_value(support):
    customer = CustomerFactory(phone="13800000001", email="old@example.com", consent_sms=True)

    services.customer_update_contact(
        customer_id=customer.pk,
        actor=support,
        phone="139-0000-0002",
        email="old@example.com",  # unchanged: no row
        consent_sms=False,
        marketing_opt_out=True,
        time_zone="Asia/Hong_Kong",
    )

    customer.refresh_from_db()
    assert (customer.phone, customer.phone_digits, customer.consent_sms) == ("139-0000-0002", "13900000002", False)
    assert customer.marketing_opt_out is True and customer.time_zone == "Asia/Hong_Kong"
    rows = {row.field: (row.old_value, row.new_value, row.changed_by, row.changed_at) for row in customer.changes.all()}
    assert rows == {
        "phone": ("13800000001", "139-0000-0002", support, NOW),
        "consent_sms": ("true", "false", support, NOW),
        "marketing_opt_out": ("false", "true", support, NOW),
        "time_zone": ("", "Asia/Hong_Kong", support, NOW),
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_zone", "Mars/Olympus"), ("time_zone", "localtime"), ("email", "not-an-address"), ("phone", "call me")],
)
def test_invalid_values_are_refused_with_the_field_named_and_nothing_written(field, value):
    customer = CustomerFactory()
    with pytest.raises(ApplicationError) as error:
        services.customer_update_contact(customer_id=customer.pk, consent_email=False, **{field: value})
    assert error.value.field == field
    refreshed = Customer.objects.get(pk=customer.pk)
    assert refreshed.consent_email is True and getattr(refreshed, field) == getattr(customer, field)
    assert not CustomerChange.objects.exists()


@pytest.mark.parametrize(
    ("region", "zone"), [("Anhui", "Asia/Shanghai"), ("Xinjiang", "Asia/Shanghai"), ("Hong Kong", "Asia/Hong_Kong")]
)
def test_an_empty_time_zone_defaults_from_the_region(region, zone):
    customer = CustomerFactory(region=region)
    services.customer_update_contact(customer_id=customer.pk, time_zone="")
    customer.refresh_from_db()
    assert customer.time_zone == zone


def test_unknown_region_has_no_default_time_zone():
    assert default_time_zone("Atlantis") == "" and default_time_zone("") == ""


# --- the page ----------------------------------------------------------------------------


def test_support_changes_contact_details_from_the_page(client, support):
    # given a customer with SMS allowed
    customer = CustomerFactory(region="Shandong", phone="13800000001", consent_sms=True)
    client.force_login(support)
    # when support opens the form and posts it with SMS stopped and a new e-mail
    form_page = client.get(f"/customers/{customer.pk}/contact/")
    assert form_page.status_code == 200
    assert 'name="contact-consent_sms"' in form_page.content.decode()
    response = client.post(
        f"/customers/{customer.pk}/contact/", page_data(customer, consent_sms=False, email="new@example.com")
    )
    # then it is saved, audited with who did it, and the customer page is shown again
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.consent_sms is False and customer.email == "new@example.com"
    assert customer.time_zone == "Asia/Shanghai"  # the form offered the region's zone
    assert set(customer.changes.values_list("field", flat=True)) == {"consent_sms", "email", "time_zone"}
    assert set(customer.changes.values_list("changed_by", flat=True)) == {support.pk}


def test_the_form_answers_400_on_a_bad_time_zone_and_writes_nothing(client, manager):
    customer = CustomerFactory()
    client.force_login(manager)
    response = client.post(f"/customers/{customer.pk}/contact/", page_data(customer, time_zone="Mars/Olympus"))
    assert response.status_code == 400
    assert response.context["form"].errors["time_zone"]
    assert not CustomerChange.objects.exists()
    assert Customer.objects.get(pk=customer.pk).time_zone == ""


def test_htmx_gets_the_form_as_a_fragment(client, support):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.get(f"/customers/{customer.pk}/contact/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()


def test_a_specialist_changes_only_the_customers_of_their_own_cases(client, specialist, other_specialist):
    # given one customer with a case of this specialist, another with a colleague's case
    mine = RenewalCaseFactory(assignee=specialist).customer
    theirs = RenewalCaseFactory(assignee=other_specialist).customer
    client.force_login(specialist)
    # when the specialist posts both forms
    allowed = client.post(f"/customers/{mine.pk}/contact/", page_data(mine, consent_phone=False))
    refused = client.post(f"/customers/{theirs.pk}/contact/", page_data(theirs, consent_phone=False))
    # then only their own customer changes
    assert allowed.status_code == 302 and refused.status_code == 403
    assert Customer.objects.get(pk=mine.pk).consent_phone is False
    assert Customer.objects.get(pk=theirs.pk).consent_phone is True
    assert client.get(f"/customers/{theirs.pk}/contact/").status_code == 403
    assert not CustomerChange.objects.filter(customer=theirs).exists()


def test_users_without_a_role_cannot_change_contact_details(client):
    customer = CustomerFactory()
    client.force_login(make_user("nobody"))
    assert client.post(f"/customers/{customer.pk}/contact/", page_data(customer, consent_sms=False)).status_code == 403
    assert Customer.objects.get(pk=customer.pk).consent_sms is True


def test_unknown_customer_is_404(client, support):
    client.force_login(support)
    assert client.get("/customers/999999/contact/").status_code == 404


# --- the customer page's panels ---------------------------------------------------------


def test_customer_page_links_to_the_contact_form_through_its_registered_panel(
    client, support, specialist, other_specialist
):
    # given a customer whose case is the specialist's
    customer = RenewalCaseFactory(assignee=specialist).customer
    form_link = f'href="/customers/{customer.pk}/contact/"'
    panel = f"/complaints/panel/customer/{customer.pk}/"
    # the customer page loads the customers panel (renewals.panels registry) ...
    client.force_login(support)
    assert f'hx-get="{panel}"' in client.get(f"/customers/{customer.pk}/").content.decode()
    # ... which links to the form for support, for the case's specialist, not for another specialist
    assert form_link in client.get(panel).content.decode()
    client.force_login(specialist)
    assert form_link in client.get(panel).content.decode()
    client.force_login(other_specialist)
    assert form_link not in client.get(panel).content.decode()


def test_contact_panel_shows_the_latest_changes_and_the_link_only_to_those_who_may_edit(
    client, support, specialist, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for n in range(7):
        services.customer_update_contact(customer_id=customer.pk, actor=support, phone=f"1380000000{n}")
    client.force_login(support)
    with django_assert_max_num_queries(6):
        panel = client.get(f"/customers/{customer.pk}/contact/panel/")
    body = panel.content.decode()
    assert panel.status_code == 200 and body.count("<li") == 5
    assert f'href="/customers/{customer.pk}/contact/"' in body
    client.force_login(specialist)
    body = client.get(f"/customers/{customer.pk}/contact/panel/").content.decode()
    assert f'href="/customers/{customer.pk}/contact/"' not in body


# --- the API -----------------------------------------------------------------------------


def test_api_shows_the_customers_time_zone(api, manager):
    customer = CustomerFactory(time_zone="Asia/Shanghai")
    assert api(manager).get(f"/api/v1/customers/{customer.pk}/").json()["time_zone"] == "Asia/Shanghai"
