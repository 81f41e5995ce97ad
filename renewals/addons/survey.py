"""The NPS survey's optional question per value-added service used (registered with
``customers.survey_questions`` in ``renewals.apps``)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.survey_questions import Question
from renewals.addons.models import ServiceRating, ServiceUse

# Services used within this many days before the survey are asked about.
ASKED_WITHIN_DAYS = 400


class ServiceQuestions:
    """One question per service used under the policy the survey's case concerns (the expiring
    policy or its successor), most recent first."""

    def _uses(self, invitation):
        if invitation.case_id is None:
            return []
        case = invitation.case
        policies = [p for p in (case.policy_id, case.successor_policy_id) if p]
        since = timezone.localdate() - dt.timedelta(days=ASKED_WITHIN_DAYS)
        uses = (
            ServiceUse.objects.filter(policy_id__in=policies, used_on__gte=since)
            .select_related("addon")
            .order_by("addon_id", "-used_on")
        )
        latest = {}
        for use in uses:
            latest.setdefault(use.addon_id, use)  # one question per service, its latest use
        return list(latest.values())

    def questions(self, invitation) -> list[Question]:
        return [
            Question(
                key=f"service-{use.pk}",
                label=_("How satisfied were you with %(service)s?") % {"service": use.addon.display_name},
            )
            for use in self._uses(invitation)
        ]

    def save(self, *, invitation, response, scores: dict[str, int]) -> None:
        uses = {f"service-{use.pk}": use for use in self._uses(invitation)}
        ServiceRating.objects.bulk_create(
            [
                ServiceRating(service_use=uses[key], response=response, score=score)
                for key, score in scores.items()
                if key in uses
            ]
        )


service_questions = ServiceQuestions()
