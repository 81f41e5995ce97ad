"""Raw SQL of the set-based writes, next to nothing else so it can be read (and explained) in one place.

All but ``OPEN_CASES_PORTABLE`` are PostgreSQL only (``unnest``, ``ANY``, ``jsonb``); their portable
twins are ORM code in the calling modules. The complaint priority factor is a parameter (``%s``) so
that this module needs no business constant.
"""

from django.contrib.auth import get_user_model

from customers.models import Complaint, Customer
from renewals.models import CaseEvent, PlaybookVersion, Policy, RenewalCase

CASE_TABLE = RenewalCase._meta.db_table
POLICY_TABLE = Policy._meta.db_table
CUSTOMER_TABLE = Customer._meta.db_table
COMPLAINT_TABLE = Complaint._meta.db_table
EVENT_TABLE = CaseEvent._meta.db_table
USER_TABLE = get_user_model()._meta.db_table
PLAYBOOK_VERSION_TABLE = PlaybookVersion._meta.db_table
OPEN_COMPLAINT_STATUSES = ", ".join(f"'{s}'" for s in Complaint.OPEN_STATUSES)

# --- opening ----------------------------------------------------------------------------------
# Due policies of one line without a case: (policy id, line id, region, premium, sales channel,
# segment, lifecycle stage): what assignment and the playbook rules read.
# Params: line id, first due date (on_date − grace), last due date (on_date + window).
OPEN_CANDIDATES = f"""
    SELECT p.id, p.line_id, cu.region, p.premium, p.channel, cu.segment, cu.lifecycle_stage
    FROM {POLICY_TABLE} p JOIN {CUSTOMER_TABLE} cu ON cu.id = p.customer_id
    WHERE p.line_id = %s AND p.status = 'active' AND p.end_date BETWEEN %s AND %s
      AND NOT EXISTS (SELECT 1 FROM {CASE_TABLE} c WHERE c.policy_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM {POLICY_TABLE} n WHERE n.previous_policy_id = p.id)"""

# Insert each case once with its assignee and playbook version (the first-contact target of the
# version sets the next action date); ON CONFLICT keeps a concurrent run harmless.
# Params: opened_at, unscored share, complaint factor, updated_at, opening day (date), policy ids
# (bigint[]), assignee ids (integer[]), playbook version ids (bigint[]).
OPEN_INSERT_ASSIGNED = f"""
    INSERT INTO {CASE_TABLE} (policy_id, customer_id, line_id, expiring_premium, due_date, stage,
                              assignee_id, opened_at, priority, churn_reasons, has_open_complaint,
                              outcome_note, version, updated_at, playbook_version_id, next_action_date)
    SELECT d.id, d.customer_id, d.line_id, d.premium, d.end_date, 'open', d.assignee_id, %s,
           ROUND(d.premium * %s * CASE WHEN d.complaint THEN %s ELSE 1 END, 2),
           '[]'::jsonb, d.complaint, '', 1, %s, d.version_id, %s::date + d.first_contact_days
    FROM (
        SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date, v.assignee_id, v.version_id,
               pv.first_contact_days,
               EXISTS (SELECT 1 FROM {COMPLAINT_TABLE} k WHERE k.customer_id = p.customer_id
                       AND k.status IN ({OPEN_COMPLAINT_STATUSES})) AS complaint
        FROM unnest(%s::bigint[], %s::integer[], %s::bigint[]) AS v(policy_id, assignee_id, version_id)
        JOIN {POLICY_TABLE} p ON p.id = v.policy_id
        LEFT JOIN {PLAYBOOK_VERSION_TABLE} pv ON pv.id = v.version_id
    ) AS d
    ON CONFLICT (policy_id) DO NOTHING
    RETURNING id"""

# The portable opening: one line's due cases, unassigned, in one INSERT … SELECT (SQLite and
# PostgreSQL alike; ``WHERE true`` lets SQLite parse ON CONFLICT after a SELECT).
# Params: opened_at, unscored share, complaint factor, updated_at, line id, first due date, last due date.
OPEN_CASES_PORTABLE = f"""
    INSERT INTO {CASE_TABLE} (policy_id, customer_id, line_id, expiring_premium, due_date, stage,
                              opened_at, priority, churn_reasons, has_open_complaint, outcome_note,
                              version, updated_at)
    SELECT d.id, d.customer_id, d.line_id, d.premium, d.end_date, 'open',
           %s, ROUND(d.premium * %s * CASE WHEN d.complaint THEN %s ELSE 1 END, 2),
           '[]', d.complaint, '', 1, %s
    FROM (
        SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date,
               EXISTS (SELECT 1 FROM {COMPLAINT_TABLE} k
                       WHERE k.customer_id = p.customer_id AND k.status IN ({OPEN_COMPLAINT_STATUSES})) AS complaint
        FROM {POLICY_TABLE} p
        WHERE p.line_id = %s AND p.status = 'active' AND p.end_date BETWEEN %s AND %s
          AND NOT EXISTS (SELECT 1 FROM {POLICY_TABLE} n WHERE n.previous_policy_id = p.id)
    ) AS d
    WHERE true
    ON CONFLICT (policy_id) DO NOTHING
    RETURNING id"""

# One "opened" event per case, naming its assignee. Params: created_at, case ids (bigint[]).
OPENED_EVENTS = f"""
    INSERT INTO {EVENT_TABLE} (case_id, kind, actor_id, payload, created_at)
    SELECT c.id, 'opened', NULL,
           CASE WHEN u.id IS NULL THEN '{{}}'::jsonb
                ELSE jsonb_build_object('assignee_id', u.id, 'assignee',
                     COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username))
           END,
           %s
    FROM {CASE_TABLE} c LEFT JOIN {USER_TABLE} u ON u.id = c.assignee_id
    WHERE c.id = ANY(%s::bigint[])"""

# --- assignment -------------------------------------------------------------------------------
# (case id, line id, region, premium, the playbook's assignment skill) of the cases.
# Params: case ids (bigint[]).
CASE_ROWS_FOR_ASSIGNMENT = f"""
    SELECT c.id, c.line_id, cu.region, c.expiring_premium, COALESCE(pv.assignment_skill, '')
    FROM {CASE_TABLE} c JOIN {CUSTOMER_TABLE} cu ON cu.id = c.customer_id
    LEFT JOIN {PLAYBOOK_VERSION_TABLE} pv ON pv.id = c.playbook_version_id
    WHERE c.id = ANY(%s::bigint[])"""

# Params: version step (0 or 1), updated_at, updated_by id, case ids (bigint[]), assignee ids (integer[]).
ASSIGNMENTS_WRITE = f"""
    UPDATE {CASE_TABLE} AS c SET assignee_id = v.assignee_id, version = c.version + %s,
           updated_at = %s, updated_by_id = %s
    FROM unnest(%s::bigint[], %s::integer[]) AS v(case_id, assignee_id)
    WHERE c.id = v.case_id"""

# --- priority ---------------------------------------------------------------------------------
# Churn risk, reasons and the priority they imply (``case_priority`` in SQL).
# Params: complaint factor, case ids (bigint[]), risks (smallint[]), reasons as JSON text (text[]).
SCORES_WRITE = f"""
    UPDATE {CASE_TABLE} AS c
    SET churn_risk = v.risk, churn_reasons = v.reasons::jsonb,
        priority = ROUND(c.expiring_premium * v.risk / 100.0 * CASE
            WHEN c.has_open_complaint THEN %s ELSE 1 END, 2)
    FROM unnest(%s::bigint[], %s::smallint[], %s::text[]) AS v(case_id, risk, reasons)
    WHERE c.id = v.case_id"""
