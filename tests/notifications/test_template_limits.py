"""The message template sandbox allows only what a reminder needs, and bounds what a render costs:
every refused construct answers a form error (in the manager's language) and saves nothing."""

import pytest
from django.utils import translation

from notifications.models import MessageTemplate
from renewals.models import SettingsChange

pytestmark = pytest.mark.django_db

REFUSED = {
    "debug": ("Hi {% debug %}", "debug"),
    "lorem": ("{% lorem 20000 w %}", "lorem"),
    "load": ("{% load static %}{% static 'x' %}", "load"),
    "include": ("{% include 'base.html' %}", "include"),
    "nested for": ("{% for a in line %}{% for b in line %}{{ a }}{% endfor %}{% endfor %}", "for"),
    "center": ("{{ customer_name|center:2000000000 }}", "center"),
    "ljust": ("{{ customer_name|ljust:2000000000 }}", "ljust"),
    "rjust": ("{{ customer_name|rjust:2000000000 }}", "rjust"),
    "widthratio": ("{% widthratio 1 1 999999999999 %}", "widthratio"),
    "templatetag": ("{% templatetag openblock %}", "templatetag"),
}


def sms_template() -> MessageTemplate:
    return MessageTemplate.objects.get(step__line__code="auto", step__offset_days=-30, channel="sms", language="en")


def save(client, template, body, language="en"):
    return client.post(
        f"/notifications/settings/templates/{template.pk}/",
        {"subject": "", "body": body},
        headers={"Accept-Language": language},
    )


@pytest.mark.parametrize("construct", sorted(REFUSED))
def test_each_construct_outside_the_sandbox_is_refused_with_a_clear_error(client_for, manager, construct):
    body, name = REFUSED[construct]
    template = sms_template()
    before = template.body
    response = save(client_for(manager), template, body)
    assert response.status_code == 400
    text = response.content.decode()
    assert "invalid-feedback" in text  # a field error under the body
    assert f"“{name}” is not allowed" in text
    template.refresh_from_db()
    assert template.body == before
    assert not SettingsChange.objects.filter(area="message_template").exists()


def test_the_refusal_speaks_chinese_to_a_chinese_manager(client_for, manager):
    template = sms_template()
    client = client_for(manager)
    client.cookies["django_language"] = "zh-hans"
    response = save(client, template, "{% debug %}", language="zh-hans")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = translation.gettext("The tag “%(tag)s” is not allowed in messages.") % {"tag": "debug"}
    assert expected != "The tag “debug” is not allowed in messages."
    assert expected in response.content.decode()


def test_a_message_longer_than_the_cap_is_refused(client_for, manager, monkeypatch):
    from notifications import rendering

    # (the sample values are short: a 5,000-character template reaches about 12,000 characters, so
    # the 20,000 cap is lowered to show what a longer render answers)
    assert rendering.MAX_RENDERED_LENGTH == 20_000
    monkeypatch.setattr(rendering, "MAX_RENDERED_LENGTH", 10_000)
    body = "{{ renewal_link }}{{ unsubscribe_link }}" * 120  # 120 × 90 = 10,800 characters rendered
    template = sms_template()
    before = template.body
    response = save(client_for(manager), template, body)
    assert response.status_code == 400
    assert "longer than 10000 characters" in response.content.decode()
    template.refresh_from_db()
    assert template.body == before


def test_a_template_that_renders_too_slowly_is_refused(client_for, manager, monkeypatch):
    from notifications.services import settings as settings_services

    ticks = iter(range(0, 1000, 5))  # every reading of the clock is 5 s later than the previous one
    monkeypatch.setattr(settings_services, "_clock", lambda: next(ticks))
    response = save(client_for(manager), sms_template(), "Hi {{ customer_name }}")
    assert response.status_code == 400
    assert "takes too long" in response.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        "Hi {{ customer_name|upper }}, your {{ line|lower }} policy expires {{ expiry_date }}.",
        "{% if quoted_premium %}Premium {{ quoted_premium }}{% else %}No quote yet{% endif %} {{ renewal_link }}",
        "{{ customer_name|default:'customer'|truncatechars:20 }} {# a note #}{% comment %}x{% endcomment %}",
    ],
)
def test_a_normal_template_saves(client_for, manager, body):
    template = sms_template()
    response = save(client_for(manager), template, body)
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == body


def test_every_seeded_text_passes_the_sandbox():
    from notifications.rendering import SAMPLE_CONTEXT, render_text

    for template in MessageTemplate.objects.all():
        for source in (template.subject, template.body):
            render_text(source, SAMPLE_CONTEXT[template.language])
