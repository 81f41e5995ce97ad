"""How long the free text people write may be: one constant per field.

The HTML forms, the API serializers and the services all read these, so a page never accepts what
the API refuses (or the reverse). The values are the API's long-standing limits.
"""

COMPLAINT_DESCRIPTION_MAX_LENGTH = 10_000
COMPLAINT_RESOLUTION_MAX_LENGTH = 10_000
COMPLAINT_ROOT_CAUSE_MAX_LENGTH = 200  # also the column's max_length
# A note on a complaint's timeline (acknowledge, start, close, reopen).
COMPLAINT_NOTE_MAX_LENGTH = 4_000
FOLLOW_UP_OUTCOME_MAX_LENGTH = 4_000
SURVEY_COMMENT_MAX_LENGTH = 4_000
