"""Playbooks: differentiated renewal strategies per line and segment.

A playbook applies to the cases its rule matches (line, segment, region, sales channel, churn-risk
band, premium band, lifecycle stage) and sets the reminder schedule variant, the call tasks, the
assignment pool, the discount authority override and the first-contact target. Rules are ordered,
first match wins, each line's default comes last. Every edit is a new immutable version; a case
keeps the version it opened with (``RenewalCase.playbook_version``).

Models in ``renewals.playbooks.models`` (imported by ``renewals.models`` so Django registers them);
the rule itself (Python and ORM twins) in ``matching``; writes in ``services``, reads in ``selectors``.
"""
