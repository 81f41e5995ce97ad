"""Receivers for the customers app's signals (connected in RenewalsConfig.ready()). Thin: they call services."""

from renewals import services


def on_complaint_logged(sender, complaint, **kwargs):
    services.cases_note_complaint(complaint=complaint, actor=getattr(complaint, "created_by", None))


def on_complaint_status_changed(sender, complaint, old_status=None, new_status=None, actor=None, **kwargs):
    services.cases_note_complaint(complaint=complaint, old_status=old_status, actor=actor)


def on_survey_answered(sender, response, **kwargs):
    services.case_note_survey(response=response)
