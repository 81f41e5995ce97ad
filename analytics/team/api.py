"""GET /api/v1/team/: processing time, touches, cost, output per head and the balanced scorecard.

Managers get the team, its lines, every specialist's scorecard and the capacity ahead; a specialist
gets their own figures and the team medians only (no other specialist appears); support gets 403.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, ErrorCode
from core.roles import HasRole, Role, has_role

from .. import selectors as analytics_selectors
from ..params import Filters, filters_from_query, period_from_query
from . import selectors
from .selectors import SCORECARD_KEYS, TEAM_KEYS

_number = serializers.FloatField(allow_null=True)
_money = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
ALLOWED_PARAMS = {"period", "month", "line", "segment"}

_FIGURE_FIELDS = {
    "cases": serializers.IntegerField(),
    "decided": serializers.IntegerField(),
    "renewed": serializers.IntegerField(),
    "processing_time_days": _number,
    "days_to_first_contact": _number,
    "touches": serializers.IntegerField(),
    "touches_per_case": _number,
    "manual_touches": serializers.IntegerField(),
    "automated_touches": serializers.IntegerField(),
    "manual_share": _number,
    "contact_cost": _money,
    "cost_per_renewal": _money,
    "renewal_rate": _number,
    "premium_retained": _money,
    "premium_retention": _number,
    "nps": _number,
    "nps_responses": serializers.IntegerField(),
    "complaints": serializers.IntegerField(),
    "complaints_per_100": _number,
    "notice_compliance": _number,
    "notice_due": serializers.IntegerField(),
    "output_decided": serializers.IntegerField(),
    "working_days": serializers.IntegerField(),
    "output_per_day": _number,
}
TeamFiguresSerializer = type("TeamFiguresSerializer", (serializers.Serializer,), dict(_FIGURE_FIELDS))
CompareSerializer = inline_serializer(
    "TeamComparison",
    {
        "value": serializers.CharField(allow_null=True, help_text="the figure in P (a number, or money as a string)"),
        "previous": serializers.CharField(allow_null=True),
        "year_ago": serializers.CharField(allow_null=True),
        "vs_previous": _number,
        "vs_year_ago": _number,
        "on_target": serializers.BooleanField(
            allow_null=True,
            required=False,
            help_text="processing time only: the year-on-year change reached the target",
        ),
    },
)
PartSerializer = inline_serializer(
    "ScorecardPart", {"value": _number, "median": _number, "index": _number, "weight": serializers.IntegerField()}
)


class ScorecardRowSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    figures = TeamFiguresSerializer()
    parts = serializers.DictField(child=PartSerializer, help_text="component → value, team median, index, weight")
    composite = serializers.FloatField(allow_null=True)


class TeamAnswerSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    team_median = serializers.DictField(child=_number, help_text="scorecard component → team median")
    me = ScorecardRowSerializer(required=False, allow_null=True, help_text="specialists: their own row")
    team = TeamFiguresSerializer(required=False, help_text="managers: the team's figures")
    comparison = serializers.DictField(child=CompareSerializer, required=False, help_text="managers")
    lines = serializers.ListField(
        child=inline_serializer("TeamLine", {"line": serializers.CharField(), "figures": TeamFiguresSerializer()}),
        required=False,
    )
    scorecard = serializers.ListField(child=ScorecardRowSerializer(), required=False, help_text="managers")
    capacity = serializers.ListField(
        child=inline_serializer(
            "CapacityRow",
            {
                "username": serializers.CharField(),
                "capacity": serializers.IntegerField(allow_null=True),
                "weeks": serializers.ListField(child=serializers.IntegerField()),
                "overflow": serializers.IntegerField(),
            },
        ),
        required=False,
        help_text="managers: expected cases per week for 13 weeks against capacity",
    )


def _jsonable(value):
    return str(value) if value is not None and not isinstance(value, (int, float, str)) else value


def _figures(values: dict) -> dict:
    return {key: _jsonable(values[key]) for key in _FIGURE_FIELDS}


def _person(person: dict) -> dict:
    return {
        "username": person["user"].username,
        "name": person["name"],
        "figures": _figures(person["figures"]),
        "parts": {
            key: {k: part[k] for k in ("value", "median", "index", "weight")} for key, part in person["parts"].items()
        },
        "composite": person["composite"],
    }


def _param(name, description, type_=str, **extra):
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, **extra)


class TeamView(APIView):
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = (Role.MANAGER, Role.SPECIALIST)

    @extend_schema(
        summary="Team performance for a month, quarter or year",
        description=(
            "Processing time, touches, manual share, cost per renewal, output per head and the balanced "
            "scorecard (docs/analytics.md, Team performance). Managers: the team, its lines, every "
            "specialist and the 13-week capacity ahead. Specialists: their own row and the team medians "
            "only. Support: 403. Unknown parameters or codes answer 400 naming the parameter."
        ),
        parameters=[
            _param("period", "month | quarter | year (default month)", enum=["month", "quarter", "year"]),
            _param(
                "month",
                "YYYY-MM between 2000-01 and five years from today: the month, or a month of the quarter/year "
                "(default: the latest month with decided cases)",
                pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            ),
            _param("line", "line of insurance code (auto, health, property, …)"),
            _param("segment", "customer segment", enum=["standard", "high_value", "vip"]),
        ],
        responses={200: TeamAnswerSerializer},
        tags=["team"],
    )
    def get(self, request):
        params = request.query_params
        unknown = sorted(set(params) - ALLOWED_PARAMS)
        if unknown:
            raise ApplicationError(_("Unknown parameter."), field=unknown[0], code=ErrorCode.INVALID)
        blank = sorted(name for name in params if not params.get(name, "").strip())
        if blank:
            raise ApplicationError(
                _("Give a value, or leave the parameter out."), field=blank[0], code=ErrorCode.REQUIRED
            )
        if (params.get("period") or "month") == "custom":
            raise ApplicationError(_("Use month, quarter or year."), field="period", code=ErrorCode.INVALID)
        parsed = filters_from_query(params, strict=True)
        filters = Filters(line_id=parsed.line_id, line_code=parsed.line_code, segments=parsed.segments)
        period = period_from_query(params, default_month=lambda: analytics_selectors.latest_decided_month(Filters()))
        is_manager = has_role(request.user, Role.MANAGER)
        report = selectors.TeamReport(period, filters if is_manager else Filters())
        scorecard = report.scorecard()
        answer = {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "team_median": {key: scorecard["median"][key] for key in SCORECARD_KEYS},
        }
        if not is_manager:
            mine = next((p for p in scorecard["people"] if p["user"].pk == request.user.pk), None)
            answer["me"] = _person(mine) if mine else None
            return Response(answer)
        team = report.team()
        answer["team"] = _figures(team["figures"])
        answer["comparison"] = {
            key: {
                k: (str(v) if v is not None and k in ("value", "previous", "year_ago") else v)
                for k, v in team["compare"][key].items()
            }
            for key in TEAM_KEYS
        }
        answer["lines"] = [{"line": row["line"].code, "figures": _figures(row["figures"])} for row in report.by_line()]
        answer["scorecard"] = [_person(person) for person in scorecard["people"]]
        capacity = selectors.capacity_ahead(filters)
        answer["capacity"] = [
            {
                "username": person["user"].username,
                "capacity": person["capacity"],
                "weeks": [cell["cases"] for cell in person["weeks"]],
                "overflow": person["overflow"],
            }
            for person in capacity["people"]
        ]
        return Response(answer)
