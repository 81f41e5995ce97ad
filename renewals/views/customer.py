"""The customer page: policies, renewal cases and other apps' panels."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.roles import STAFF_ROLES, role_required
from customers.models import Customer
from renewals import panels, selectors


@require_GET
@role_required(*STAFF_ROLES)
def customer_page(request, pk: int):
    try:
        context = selectors.customer_page(customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    context["panels"] = panels.customer_panels(context["customer"])
    return render(request, "renewals/customer.html", context)
