"""The agent's live assist page in real Chromium, with the real model and playbooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def test_danish_late_delivery_turns_the_gauge_and_shows_danish_suggestions(
    app: Flask, runner: FlaskCliRunner, full_model_dir: Path, page: Page, live_server: str, make_user, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    app.config.update(MODEL_DIR=str(full_model_dir), PLAYBOOK_DIR=str(PLAYBOOKS))
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    make_user("agent", "sofie@example.com", agent_id="A-07")
    log_in(page, live_server, "sofie@example.com", PASSWORD)
    page.get_by_role("link", name="Live assist").first.click()
    page.get_by_label("Touchpoint").select_option("phone")
    page.get_by_role("button", name="Start contact").click()
    expect(page.get_by_text("Nothing said yet")).to_be_visible()

    box = page.get_by_label("What was said")
    box.fill("Min pakke skulle være kommet i tirsdags og den er her stadig ikke. Hvornår kommer den?")
    box.press("Control+Enter")  # keyboard only: no reload, the live region updates in place

    gauge = page.locator("#gauge-action_oriented")
    expect(gauge).to_be_visible()
    values = {key: float(page.locator(f"#gauge-{key}").get_attribute("value") or 0)
              for key in ("relational", "action_oriented", "factual")}
    assert max(values, key=values.get) == "action_oriented", values  # type: ignore[arg-type]
    suggestions = page.locator(".suggestion p[lang]")
    expect(suggestions.first).to_be_visible()
    assert suggestions.count() >= 2
    assert {suggestions.nth(i).get_attribute("lang") for i in range(suggestions.count())} == {"da"}
    expect(page.locator("mark.cue").first).to_be_visible()
    expect(box).to_have_value("")  # the stored turn cleared the box

    page.set_viewport_size({"width": 900, "height": 720})  # beside a softphone
    expect(page.locator("#live-panel")).to_be_visible()
    page.screenshot(path=str(tmp_path / "assist.png"), full_page=True)
