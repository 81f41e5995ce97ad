"""Changing a customer's contact details and consent from the customer page (audited)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from core.roles import STAFF_ROLES, role_required
from customers import selectors, services
from customers.forms import ContactForm
from customers.models import Customer

# The page's form posts its fields as ``contact-<name>``.
CONTACT_PREFIX = "contact"
PANEL_HISTORY = 5


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def customer_contact(request, pk: int):
    """GET: the form (a fragment for htmx); POST: save through ``customer_update_contact``."""
    customer = get_object_or_404(Customer, pk=pk)
    if not selectors.customer_contact_editable_by(user=request.user, customer=customer):
        raise PermissionDenied
    form = ContactForm(request.POST or None, customer=customer, prefix=CONTACT_PREFIX)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update_contact(customer_id=customer.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Contact details saved."))
            return redirect("renewals:customer", pk=customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "changes": selectors.customer_changes(customer_id=customer.pk),
    }
    template = "customers/_contact_form.html" if request.htmx else "customers/contact.html"
    status = 400 if request.method == "POST" else 200  # here after a POST only when it was refused
    return render(request, template, context, status=status)


@require_GET
@role_required(*STAFF_ROLES)
def panel_contact(request, customer_id: int):
    """The customer page's card: who changed the contact details last, and the way to change them."""
    customer = get_object_or_404(Customer.objects.only("pk"), pk=customer_id)
    return render(
        request,
        "customers/_panel_contact.html",
        {
            "customer_id": customer.pk,
            "changes": selectors.customer_changes(customer_id=customer.pk, limit=PANEL_HISTORY),
            "can_edit": selectors.customer_contact_editable_by(user=request.user, customer=customer),
        },
    )
