"""Waiting for the page without Playwright's in-page polling.

``page.wait_for_function`` compiles its predicate inside the page with ``eval`` whenever it has to
poll, which the desk's Content Security Policy (``script-src 'self'``) forbids, so it fails exactly
when the page is slow. ``page.evaluate`` runs through the browser's debugging protocol, which the
CSP does not cover, so the predicate is evaluated from here until it holds."""

import time

from playwright.sync_api import Error

POLL_MS = 100


def wait_until(page, expression: str, arg=None, timeout: float = 15_000) -> None:
    """Until ``expression`` is truthy in the page; a page still navigating (its context destroyed
    mid-evaluation) counts as not yet."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression, arg):
                return
        except Error as error:
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(POLL_MS)
