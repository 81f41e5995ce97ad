"""Campaign writes, one module per concern (every function keyword-only, one transaction):

- lifecycle: the nightly stage refresh and its history; a line's dormant months
- experiments: create, start, enrol (stratified seeded assignment), stop, declare a winner
- campaigns: create, preview, start (target into members), run (messages and outcomes)
"""

from campaigns.services.campaigns import (
    campaign_create,
    campaign_preview,
    campaign_run,
    campaign_start,
    campaign_target,
    campaigns_run_due,
)
from campaigns.services.experiments import (
    experiment_create,
    experiment_declare_winner,
    experiment_enrol_cases,
    experiment_enrol_members,
    experiment_start,
    experiment_stop,
    experiments_enrol_due,
)
from campaigns.services.lifecycle import lifecycle_refresh, lifecycle_setting_set

__all__ = [
    "campaign_create",
    "campaign_preview",
    "campaign_run",
    "campaign_start",
    "campaign_target",
    "campaigns_run_due",
    "experiment_create",
    "experiment_declare_winner",
    "experiment_enrol_cases",
    "experiment_enrol_members",
    "experiment_start",
    "experiment_stop",
    "experiments_enrol_due",
    "lifecycle_refresh",
    "lifecycle_setting_set",
]
