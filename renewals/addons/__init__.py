"""Add-ons at renewal: the catalogue of riders and value-added services per line, the add-ons a
quote and a policy carry, the book's attach rates and the suggestions drawn from them.

Models live in ``renewals.addons.models`` (imported by ``renewals.models`` so Django registers them);
pricing in ``renewals.addons.pricing`` (pure), writes in ``renewals.addons.services``, reads and
the set-based attach-rate refresh in ``renewals.addons.selectors``.
"""
