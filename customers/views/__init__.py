"""Customer voice pages: quick search, complaints, settings, follow-ups, survey pages, contact edits
and panels, one module per concern; ``customers/urls.py`` reaches them as ``views.<name>``."""

from customers.views.complaints import (
    complaint_action,
    complaint_customer_picker,
    complaint_detail,
    complaint_new,
    complaint_queue,
    complaint_settings,
)
from customers.views.contact import customer_contact, panel_contact
from customers.views.panels import panel_customer, panel_escalated
from customers.views.search import customer_search
from customers.views.surveys import (
    follow_up_assign,
    follow_up_done,
    follow_up_list,
    survey_answer_record,
    survey_list,
    survey_page,
)

__all__ = [
    "complaint_action",
    "complaint_customer_picker",
    "complaint_detail",
    "complaint_new",
    "complaint_queue",
    "complaint_settings",
    "customer_contact",
    "customer_search",
    "follow_up_assign",
    "follow_up_done",
    "follow_up_list",
    "panel_contact",
    "panel_customer",
    "panel_escalated",
    "survey_answer_record",
    "survey_list",
    "survey_page",
]
