"""Extra optional questions on the NPS survey page, contributed by higher apps.

The survey belongs to customers, but some questions are about things other apps own (the
value-added services a customer used belong to renewals). A higher app registers a provider in
its ``AppConfig.ready()``; the survey page asks each provider for its questions about the
invitation and, when the customer answers, hands back the scores inside the same transaction as
the NPS answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Question:
    key: str  # unique on the page: letters, digits, "-" (the form field is "extra-<key>")
    label: str  # "How satisfied were you with road assistance?", in the active language


class QuestionProvider(Protocol):
    def questions(self, invitation) -> list[Question]: ...

    def save(self, *, invitation, response, scores: dict[str, int]) -> None: ...


_providers: list[QuestionProvider] = []


def register(provider: QuestionProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def questions_for(invitation) -> list[tuple[QuestionProvider, Question]]:
    return [(provider, q) for provider in _providers for q in provider.questions(invitation)]
