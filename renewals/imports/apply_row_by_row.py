"""Applying the good rows through the ORM, one row at a time: for the SQLite demo database, which
has no COPY or DISTINCT ON. The same rules and counts as :mod:`renewals.imports.apply_set_based`
(PostgreSQL, used everywhere else); :func:`renewals.imports.services.policies_import` picks one by
database vendor. Runs inside the caller's transaction.
"""

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.phones import phone_digits
from renewals.imports.columns import ADDON_SEPARATOR, CUSTOMER_COLUMNS, POLICY_COLUMNS
from renewals.imports.results import ImportResult, Progress, RowError
from renewals.imports.validation import previous_policy_message
from renewals.models import AddOn, LineOfInsurance, Policy, PolicyAddOn


def apply_row_by_row(good: pd.DataFrame, present: set[str], result: ImportResult, report: Progress) -> list[RowError]:
    """Write the good rows; count into ``result``; answer the rows dropped for their previous policy."""
    errors: list[RowError] = []
    chained = "previous_policy_number" in present
    if chained:
        good, errors = _drop_unknown_or_taken_previous(good)

    report(55, _("Saving customers"))
    customer_fields = {src: dst for src, dst in CUSTOMER_COLUMNS.items() if src in good.columns}
    customer_ids = {}
    for record in good.drop_duplicates("customer_ref", keep="last").to_dict("records"):
        values = {dst: _python_value(dst, record[src]) for src, dst in customer_fields.items()}
        if "phone" in present:
            values["phone_digits"] = phone_digits(record["phone"])
        customer = Customer.objects.filter(external_ref=record["customer_ref"]).first()
        if customer is None:
            customer = Customer.objects.create(external_ref=record["customer_ref"], **values)
            result.customers_created += 1
        elif any(getattr(customer, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(customer, k, v)
            customer.save()
            result.customers_updated += 1
        else:
            result.customers_unchanged += 1
        customer_ids[record["customer_ref"]] = customer.pk

    report(70, _("Saving policies"))
    line_ids = dict(LineOfInsurance.objects.values_list("code", "pk"))
    policy_fields = {src: dst for src, dst in POLICY_COLUMNS.items() if src in good.columns}
    for record in good.sort_values("chain_level", kind="stable").to_dict("records"):
        values = {dst: _python_value(dst, record[src]) for src, dst in policy_fields.items()}
        values["customer_id"] = customer_ids[record["customer_ref"]]
        values["line_id"] = line_ids[record["line"]]
        if chained:
            number = record["previous_policy_number"]
            values["previous_policy_id"] = (
                Policy.objects.filter(number=number).values_list("pk", flat=True).first() if number else None
            )
        policy = Policy.objects.filter(number=record["policy_number"]).first()
        if policy is None:
            policy = Policy.objects.create(number=record["policy_number"], **values)
            result.policies_created += 1
        elif any(getattr(policy, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(policy, k, v)
            policy.save()
            result.policies_updated += 1
        else:
            result.policies_unchanged += 1
        if "addons" in present:
            _replace_addons(policy, record["addons"])
    return errors


def _replace_addons(policy: Policy, cell: str) -> None:
    """The row's add-ons are what the policy carries (a blank cell: none)."""
    codes = [c.strip() for c in (cell or "").split(ADDON_SEPARATOR) if c.strip()]
    PolicyAddOn.objects.filter(policy=policy).delete()
    addons = AddOn.objects.filter(code__in=codes, line_id=policy.line_id)
    PolicyAddOn.objects.bulk_create([PolicyAddOn(policy=policy, addon=a) for a in addons])


def _drop_unknown_or_taken_previous(good: pd.DataFrame) -> tuple[pd.DataFrame, list[RowError]]:
    """Rows whose previous policy is neither in the file nor in the database, or is already
    renewed by another policy, are reported and dropped before anything is written."""
    errors: list[RowError] = []
    previous = set(good["previous_policy_number"]) - {""}
    known = set(Policy.objects.filter(number__in=previous).values_list("number", flat=True))
    while True:  # a dropped row may be another row's previous policy
        wanted = good["previous_policy_number"]
        missing = (wanted != "") & ~wanted.isin(set(good["policy_number"])) & ~wanted.isin(known)
        if not missing.any():
            break
        errors += [
            RowError(int(r), "previous_policy_number", previous_policy_message(p, None))
            for r, p in wanted[missing].items()
        ]
        good = good[~missing]
    renewed_by = dict(
        Policy.objects.filter(previous_policy__number__in=previous).values_list("previous_policy__number", "number")
    )
    in_file = set(good["policy_number"])
    taken = [
        (r, p, renewed_by[p])
        for r, p, n in zip(good.index, good["previous_policy_number"], good["policy_number"], strict=True)
        if p in renewed_by and renewed_by[p] != n and renewed_by[p] not in in_file
    ]
    errors += [RowError(int(r), "previous_policy_number", previous_policy_message(p, o)) for r, p, o in taken]
    return good.drop(index=[r for r, _p, _o in taken]), errors


def _python_value(field: str, text: str):
    """A normalised cell as the model field's Python value."""
    if field in ("start_date", "end_date"):
        return dt.date.fromisoformat(text)
    if field in ("premium", "sum_insured"):
        return Decimal(text)
    if field == "claims_count":
        return int(text)
    if field in ("consent_email", "consent_sms"):
        return text == "t"
    if field == "attributes":
        return json.loads(text)
    return text
