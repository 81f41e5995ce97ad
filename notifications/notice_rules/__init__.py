"""Statutory notice rules: region × line × notice type → the days before expiry a notice must go out
in (a minimum, optionally a maximum), the channels accepted as proof, versioned by effective dates.

models (NoticeRule), selectors (the rule in force for a case, in Python and as SQL expressions),
services (create a version, end-date one; audited), api, forms and views (the settings page).
"""
