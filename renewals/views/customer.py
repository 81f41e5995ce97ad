"""The customer page: policies, renewal cases and other apps' panels."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.roles import STAFF_ROLES, role_required
from customers.models import Customer
from renewals import panels, selectors
from renewals.addons import services as addon_services


@require_GET
@role_required(*STAFF_ROLES)
def customer_page(request, pk: int):
    try:
        context = selectors.customer_page(customer_id=pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    context["panels"] = panels.customer_panels(context["customer"])
    return render(request, "renewals/customer.html", context)


@require_POST
@role_required(*STAFF_ROLES)
def service_use(request, pk: int):
    """Support, a manager or the policy's specialist records a value-added service the customer used."""
    from renewals.models import Policy

    policy_id = request.POST.get("service-policy", "")
    if not policy_id.isdigit() or not Policy.objects.filter(pk=int(policy_id), customer_id=pk).exists():
        raise Http404
    try:
        used_on = dt.date.fromisoformat(request.POST.get("service-used_on", ""))
    except ValueError:
        messages.error(request, _("Enter the day it was used (in the last three years, not in the future)."))
        return redirect("renewals:customer", pk=pk)
    try:
        addon_services.service_use_record(
            actor=request.user,
            policy_id=int(policy_id),
            addon_code=request.POST.get("service-addon", ""),
            used_on=used_on,
        )
        messages.success(request, _("Service use recorded."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("renewals:customer", pk=pk)
