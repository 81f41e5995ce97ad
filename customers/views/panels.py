"""Fragments other apps' pages load with htmx (customer page, case page, manager dashboard)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.roles import STAFF_ROLES, has_role, role_required
from customers import selectors
from customers.models import Customer
from customers.views._common import _decorate
from customers.workflow import COMPLAINT_EDITORS

# --- fragments for other apps' pages -----------------------------------------------------


@require_GET
@role_required(*STAFF_ROLES)
def panel_customer(request, customer_id: int):
    complaints = selectors.complaints_for_customer(customer_id=customer_id)
    _decorate(complaints, selectors.voice_settings().sla_near_hours)
    return render(
        request,
        "customers/_panel_customer.html",
        {
            "customer_id": customer_id,
            "complaints": complaints,
            "responses": selectors.survey_responses_for_customer(customer_id=customer_id),
            "can_edit": has_role(request.user, *COMPLAINT_EDITORS),
            # This panel is the customer page's link to the contact form (the page is renewals',
            # and customers registers nothing there: it sits below renewals).
            "can_edit_contact": selectors.customer_contact_editable_by(
                user=request.user, customer=Customer(pk=customer_id)
            ),
        },
    )


@require_GET
@role_required(*STAFF_ROLES)
def panel_escalated(request):
    shown = 20
    complaints = selectors.complaints_escalated(limit=shown + 1)
    _decorate(complaints[:shown], selectors.voice_settings().sla_near_hours)
    return render(
        request,
        "customers/_panel_escalated.html",
        {
            "complaints": complaints[:shown],
            "more": len(complaints) > shown,
            "can_edit": has_role(request.user, *COMPLAINT_EDITORS),
        },
    )
