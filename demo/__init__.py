"""Demo data: a deterministic demo book and the commands that seed it (``manage.py seed_demo``,
``seed_message_history``). The top layer: the only app that may import every other app; nothing
here runs in production.

Modules, in the order a seed uses them:
- ``reference``: names, provinces, products and the weights the book is drawn with.
- ``book``, ``chains``, ``voice``: generate the book column-wise with numpy (customers; policies,
  renewal chains, closed cases and their timelines; complaints and NPS answers).
- ``loader``: COPY on PostgreSQL (keys and indexes dropped and rebuilt), batched inserts on SQLite.
- ``open_cases``: the real window scan, then some progress so the queue looks worked.
- ``history``: months of reminder planning and sending replayed through the real pipeline.
- ``services``: the entry points (``seed``, ``domain_reset``, ``ensure_demo_users``).
"""
