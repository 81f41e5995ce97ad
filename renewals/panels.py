"""Panels other apps show on the renewals pages (case page, customer page, queue).

Each panel is an htmx fragment served by the app that owns it. That app registers the panel in its
``AppConfig.ready()`` by URL name, so renewals links to it without importing it (DESIGN §3: a
lower app never imports a higher one); the page resolves each URL with ``reverse``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Panel:
    name: str
    url_name: str
    # The URL's arguments from the page's object (the case or the customer); () for the queue.
    args: Callable[[object], tuple]
    # Panels show in ascending order; ties keep their registration order.
    order: int = 0
    # A heading the page gives the panel's card; None when the fragment is a card with its own heading.
    title: str | None = None

    def url(self, obj=None) -> str:
        return reverse(self.url_name, args=self.args(obj))


@dataclass(frozen=True)
class PanelLink:
    """A panel as a template renders it."""

    name: str
    url: str
    title: str | None


_REGISTRY: dict[str, dict[str, Panel]] = {"case": {}, "customer": {}, "queue": {}}


def _own_pk(obj) -> tuple:
    return (obj.pk,)


def _no_args(obj) -> tuple:
    return ()


def register_case_panel(name: str, url_name: str, *, args=_own_pk, order: int = 0, title=None) -> None:
    """A panel on the case page; ``args(case)`` gives its URL's arguments (default: the case id)."""
    _REGISTRY["case"][name] = Panel(name, url_name, args, order, title)


def register_customer_panel(name: str, url_name: str, *, args=_own_pk, order: int = 0, title=None) -> None:
    """A panel on the customer page; ``args(customer)`` gives its URL's arguments (default: the customer id)."""
    _REGISTRY["customer"][name] = Panel(name, url_name, args, order, title)


def register_queue_panel(name: str, url_name: str, *, order: int = 0, title=None) -> None:
    """A panel beside the specialist's queue (its URL takes no arguments)."""
    _REGISTRY["queue"][name] = Panel(name, url_name, _no_args, order, title)


def _links(page: str, obj=None) -> list[PanelLink]:
    panels = sorted(_REGISTRY[page].values(), key=lambda panel: panel.order)
    return [PanelLink(panel.name, panel.url(obj), panel.title) for panel in panels]


def case_panels(case) -> list[PanelLink]:
    return _links("case", case)


def customer_panels(customer) -> list[PanelLink]:
    return _links("customer", customer)


def queue_panels() -> list[PanelLink]:
    return _links("queue")
