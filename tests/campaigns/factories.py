import datetime as dt

from tests.renewals.factories import PolicyFactory


def policy_chain(customer, *, first_start: dt.date, terms: int, line=None, **extra):
    """``terms`` consecutive one-year policies of ``customer``, each the renewal of the one before."""
    previous = None
    policies = []
    start = first_start
    for _term in range(terms):
        end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
        kwargs = {"customer": customer, "start_date": start, "end_date": end, "previous_policy": previous, **extra}
        if line is not None:
            kwargs["line"] = line
        previous = PolicyFactory(**kwargs)
        policies.append(previous)
        start = end + dt.timedelta(days=1)
    return policies
