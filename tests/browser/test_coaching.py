"""A team lead's coaching session in real Chromium, on the demo contact centre."""

from __future__ import annotations

import pytest
from flask.testing import FlaskCliRunner
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_lead_filters_the_overview_opens_an_agent_and_writes_a_note(
    runner: FlaskCliRunner,
    page: Page,
    live_server: str,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    assert runner.invoke(args=["demo", "--interactions", "3000", "--seed", "5"]).exit_code == 0
    make_user("lead", "lena@example.com", team="Aarhus 1")
    log_in(page, live_server, "lena@example.com", PASSWORD)
    page.get_by_role("link", name="Coaching").first.click()
    expect(page.get_by_role("heading", name="Coaching overview")).to_be_visible()
    expect(page.get_by_text("Match effect, adjusted for touchpoint and topic")).to_be_visible()

    page.get_by_label("Touchpoint").select_option("store")  # htmx swaps the overview, URL keeps the filter
    expect(page).to_have_url(f"{live_server}/coaching/?from=&to=&touchpoint=store")
    rows = page.locator("#overview table").nth(1).locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Store")

    page.get_by_role("link", name="A-01").click()
    expect(page.get_by_role("heading", name="Conversations to review together")).to_be_visible()
    page.get_by_label("What you agreed").fill(
        "Greet relational customers by name and ask how they are before the fix."
    )
    page.get_by_label("Follow up on").fill("2030-01-15")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_contain_text("Note saved")
    expect(page.locator("ul.notes")).to_contain_text("Greet relational customers by name")
    expect(page.locator("ul.notes")).to_contain_text("follow up 2030-01-15")
