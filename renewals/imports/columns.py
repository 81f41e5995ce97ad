"""The import file format: its columns, which are required, and what each may hold."""

from customers.models import Customer
from renewals.models import Policy

COLUMNS = [
    "policy_number",
    "customer_ref",
    "customer_name",
    "customer_kind",
    "phone",
    "email",
    "region",
    "segment",
    "line",
    "product",
    "start_date",
    "end_date",
    "premium",
    "sum_insured",
    "channel",
    "previous_policy_number",
    "claims_count",
    "preferred_language",
    "consent_email",
    "consent_sms",
    "time_zone",
    "addons",
]
REQUIRED = [
    "policy_number",
    "customer_ref",
    "customer_name",
    "line",
    "product",
    "start_date",
    "end_date",
    "premium",
    "sum_insured",
    "channel",
]
MAX_LENGTH = {
    "policy_number": 32,
    "customer_ref": 64,
    "customer_name": 200,
    "phone": 32,
    "email": 254,
    "region": 64,
    "product": 100,
    "previous_policy_number": 32,
    "time_zone": 64,
    "addons": 700,
}
# The ``addons`` cell: add-on codes of the policy's line separated by this.
ADDON_SEPARATOR = "|"
CHOICES = {
    "customer_kind": Customer.Kind.values,
    "segment": Customer.Segment.values,
    "preferred_language": Customer.Language.values,
    "channel": Policy.Channel.values,
}
# Blank optional cells take these values (the same defaults as the models).
BLANK_DEFAULTS = {
    "customer_kind": Customer.Kind.INDIVIDUAL.value,
    "segment": Customer.Segment.STANDARD.value,
    "preferred_language": Customer.Language.ZH_HANS.value,
    "consent_email": "true",
    "consent_sms": "true",
    "claims_count": "0",
}
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
PHONE_RE = r"\+?[\d\s()\-./]{6,32}"
EMAIL_RE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
PREMIUM_RE = r"\d{1,12}(?:\.\d{1,2})?"  # Policy.premium: 14 digits, 2 decimals
SUM_INSURED_RE = r"\d{1,14}(?:\.\d{1,2})?"  # Policy.sum_insured: 16 digits, 2 decimals

# Import column -> Customer field (the customer's attributes come from its last row in the file).
# ``phone_digits`` is not a file column: both apply paths derive it from ``phone``.
CUSTOMER_COLUMNS = {
    "customer_name": "name",
    "customer_kind": "kind",
    "phone": "phone",
    "phone_digits": "phone_digits",
    "email": "email",
    "region": "region",
    "segment": "segment",
    "preferred_language": "preferred_language",
    "consent_email": "consent_email",
    "consent_sms": "consent_sms",
    "time_zone": "time_zone",
}
# Import column -> Policy field (customer, line and previous policy are looked up, not copied).
POLICY_COLUMNS = {
    "product": "product",
    "start_date": "start_date",
    "end_date": "end_date",
    "premium": "premium",
    "sum_insured": "sum_insured",
    "channel": "channel",
    "claims_count": "claims_count",
    # Not a file column: the extra columns as JSON, made by renewals.imports.attributes.
    "attributes": "attributes",
}
