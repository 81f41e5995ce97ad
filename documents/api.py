"""API: a case's documents and a document's PDF (routed in config/api_urls.py).

Staff only; a specialist sees the documents of their own cases only (others answer 404, as an
unknown id does). The customer reaches their own offer through the signed offer link, never here.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import STAFF_ROLES, HasRole
from documents import selectors
from documents.access import may_see_case
from documents.models import Document, DocumentKind
from documents.views import pdf_response
from renewals.models import RenewalCase


class DocumentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "kind", "version", "language", "sha256", "size", "template_version", "issued_at", "url"]
        read_only_fields = fields

    def get_url(self, document) -> str:
        request = self.context.get("request")
        path = f"/api/v1/documents/{document.pk}/file/"
        return request.build_absolute_uri(path) if request else path


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; errors still answer JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


def _case_for(user, case_id: int) -> RenewalCase:
    case = RenewalCase.objects.filter(pk=case_id).only("id", "assignee_id").first()
    if case is None or not may_see_case(user, case):
        raise NotFound()
    return case


class CaseDocumentsView(APIView):
    """``GET /api/v1/cases/<id>/documents/``: every version of the case's documents, newest first per kind."""

    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES

    @extend_schema(responses={200: DocumentSerializer(many=True)}, tags=["documents"])
    def get(self, request, case_id: int):
        case = _case_for(request.user, case_id)
        rows = selectors.case_documents(case_id=case.pk)
        return Response(DocumentSerializer(rows, many=True, context={"request": request}).data)


class DocumentFileView(APIView):
    """``GET /api/v1/documents/<id>/file/``: the PDF as issued (its SHA-256 in ``X-Content-SHA256``)."""

    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            404: OpenApiResponse(description="Unknown document, or not one of your cases'."),
        },
        tags=["documents"],
    )
    def get(self, request, document_id: int):
        document = selectors.document_with_content(document_id=document_id)
        if document is None or not may_see_case(request.user, document.case):
            raise NotFound()
        return pdf_response(document)
