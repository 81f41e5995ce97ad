"""Competitors (竞品对标): the list of insurers managers keep, the competitor a lost case went to
(with their premium when known) and the competitor quotes specialists record on open cases
(re-shopping), shown side by side with our quote.

Models live in ``renewals.competitors.models`` (imported by ``renewals.models`` so Django registers
them); writes in ``renewals.competitors.services``, reads in ``renewals.competitors.selectors``.
The figures over them (losses by competitor, price gap, win rate) are analytics'
(``analytics/selectors/competitors.py``).
"""
