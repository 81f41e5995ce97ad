"""Signals the customers app sends; higher apps connect to them in AppConfig.ready().

All are sent inside the service's transaction; a receiver that enqueues work must use
``transaction.on_commit``.
"""

from django.dispatch import Signal

# A complaint was logged. kwargs: complaint
complaint_logged = Signal()
# A complaint moved through its status flow. kwargs: complaint, old_status, new_status, actor
complaint_status_changed = Signal()
# A survey answer was recorded (via link or phone). kwargs: response
survey_answered = Signal()
