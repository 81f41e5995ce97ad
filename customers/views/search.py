"""The quick customer search in the header (the term is POSTed, never put in the URL)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.roles import STAFF_ROLES, has_role, role_required
from customers import selectors
from customers.workflow import COMPLAINT_EDITORS

# --- quick customer search -------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(*STAFF_ROLES)
def customer_search(request):
    """Names and phone numbers are POSTed, never sent in the query string (access logs, history).

    GET shows the empty search page only; a ``q`` in the URL is ignored.
    """
    q = request.POST.get("q", "").strip() if request.method == "POST" else ""
    if request.htmx and not q:
        return HttpResponse("")  # an emptied box closes the drop-down (.quick-search-results:empty)
    results = selectors.customer_search(q=q) if q else []
    context = {"q": q, "results": results, "can_log": has_role(request.user, *COMPLAINT_EDITORS)}
    if request.htmx:
        return render(request, "customers/_search_results.html", context)
    return render(request, "customers/search.html", context)
