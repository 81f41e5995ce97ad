"""Length limits of the free text people type into a case: one constant per field, used by the HTML
forms and the API serializers alike (the services store what these let through)."""

# Contact notes, lost / not-offered notes and referral requests: a long phone call's summary.
NOTE_MAX_LENGTH = 4000
# A manager's approval comment and a referral's answer.
COMMENT_MAX_LENGTH = 2000

# A reopened case's decision date: from today to this many days ahead (a second chance, not a new term).
REOPEN_MAX_DAYS = 90
# The decision date the reopen form proposes.
REOPEN_DEFAULT_DAYS = 14
