"""Team performance (issue 15): processing time, touches, cost per renewal, output per head, the
balanced scorecard and capacity ahead. See docs/analytics.md, "Team performance"."""
