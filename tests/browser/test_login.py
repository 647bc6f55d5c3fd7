"""Logging in through real Chromium; what each role can reach."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_logs_in_and_reaches_users(page: Page, live_server: str, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    log_in(page, live_server, "boss@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you")).to_be_visible()
    page.get_by_role("link", name="Users").first.click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(page.get_by_role("cell", name="boss@example.com")).to_be_visible()


def test_wrong_password_shows_an_error(page: Page, live_server: str, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    log_in(page, live_server, "boss@example.com", "definitely wrong")
    expect(page.get_by_role("alert")).to_contain_text("not right")


def test_agent_sees_no_admin_link_and_gets_403(page: Page, live_server: str, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    log_in(page, live_server, "sofie@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    response = page.goto(f"{live_server}/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="403 · Not for your role")).to_be_visible()
