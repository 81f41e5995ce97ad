from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("documents/cases/<int:case_id>/", views.case_documents, name="case_documents"),
    path("documents/cases/<int:case_id>/issue/", views.case_document_issue, name="case_issue"),
    path("documents/cases/<int:case_id>/acceptance/", views.case_acceptance_record, name="case_acceptance"),
    path("documents/customers/<int:customer_id>/", views.customer_documents, name="customer_documents"),
    path("documents/<int:document_id>/download/", views.document_download, name="download"),
    path("documents/templates/", views.template_edit, name="templates"),
    path("documents/templates/preview/", views.template_preview, name="template_preview"),
]
