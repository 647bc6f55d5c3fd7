"""The navigation each role sees; an entry appears once its page exists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: tuple[str, ...]
    description: str


NAVIGATION = (
    NavItem(
        "assist.index",
        "Live assist",
        ("agent",),
        "Follow a contact: the customer's preference, your style, suggested replies.",
    ),
    NavItem(
        "coaching.overview",
        "Coaching",
        ("lead", "agent"),
        "Match rate and NPS with honest uncertainty, per team and agent.",
    ),
    NavItem("followup.queue", "Follow-ups", ("lead",), "Detractors waiting for a human call back."),
    NavItem(
        "playbooks.index",
        "Playbooks",
        ("trainer",),
        "Edit and review responses per touchpoint, preference and situation.",
    ),
    NavItem("imports.index", "Imports", ("lead",), "Load interactions and surveys from other systems."),
    NavItem("admin.users", "Users", ("admin",), "Accounts, roles and API tokens."),
    NavItem("audit_log.index", "Audit log", ("admin",), "Who did what and when; filter and export as CSV."),
    NavItem("privacy.overview", "Privacy", ("admin",), "What is stored, retention, erasure and its log."),
)


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str
    description: str
    active: bool


def navigation() -> list[NavLink]:
    if not current_user.is_authenticated:
        return []
    links = []
    for item in NAVIGATION:
        if item.endpoint not in current_app.view_functions or not current_user.has_role(*item.roles):
            continue
        prefix = item.endpoint.split(".")[0]
        links.append(
            NavLink(
                url=url_for(item.endpoint),
                label=item.label,
                description=item.description,
                active=(request.blueprint == prefix),
            )
        )
    return links


def register(app: Flask) -> None:
    app.context_processor(lambda: {"navigation": navigation})
