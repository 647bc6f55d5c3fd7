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


@pytest.fixture()
def agent_page(
    app: Flask, runner: FlaskCliRunner, full_model_dir: Path, page: Page, live_server: str, make_user
) -> Page:  # type: ignore[no-untyped-def]
    app.config.update(MODEL_DIR=str(full_model_dir), PLAYBOOK_DIR=str(PLAYBOOKS))
    assert runner.invoke(args=["playbooks", "sync"]).exit_code == 0
    make_user("agent", "sofie@example.com", agent_id="A-07")
    log_in(page, live_server, "sofie@example.com", PASSWORD)
    return page


def _say_as_customer(page: Page, touchpoint: str, text: str) -> None:
    page.get_by_role("link", name="Live assist").first.click()
    page.get_by_label("Touchpoint").select_option(touchpoint)
    page.get_by_role("button", name="Start contact").click()
    expect(page.get_by_text("Nothing said yet")).to_be_visible()
    box = page.get_by_label("What was said")
    box.fill(text)
    box.press("Control+Enter")  # keyboard only: no reload, the live region updates in place
    expect(page.locator("#gauge-factual")).to_be_visible()
    expect(box).to_have_value("")  # the stored turn cleared the box


def _leading(page: Page) -> str:
    values = {
        key: float(page.locator(f"#gauge-{key}").get_attribute("value") or 0)
        for key in ("relational", "action_oriented", "factual")
    }
    return max(values, key=values.get)  # type: ignore[arg-type]


def _suggestion_languages(page: Page) -> set[str | None]:
    suggestions = page.locator(".suggestion p[lang]")
    expect(suggestions.first).to_be_visible()
    assert suggestions.count() >= 2
    return {suggestions.nth(i).get_attribute("lang") for i in range(suggestions.count())}


def test_danish_late_delivery_turns_the_gauge_and_shows_danish_suggestions(
    agent_page: Page, tmp_path: Path
) -> None:
    page = agent_page
    _say_as_customer(
        page,
        "phone",
        "Min pakke skulle være kommet i tirsdags og den er her stadig ikke. Hvornår kommer den?",
    )
    assert _leading(page) == "action_oriented"
    assert _suggestion_languages(page) == {"da"}
    expect(page.locator("#live-turns mark.cue").first).to_be_visible()
    expect(page.locator(".contact-head")).to_contain_text("Phone · da")

    page.set_viewport_size({"width": 900, "height": 720})  # beside a softphone
    expect(page.locator("#live-panel")).to_be_visible()
    page.screenshot(path=str(tmp_path / "assist.png"), full_page=True)


def test_swedish_factual_question_shows_swedish_suggestions(agent_page: Page) -> None:
    page = agent_page
    _say_as_customer(
        page,
        "chat",
        "Hej! Varför har månadsavgiften höjts från 299 till 349 kronor "
        "när jag inte har ändrat något i mitt abonnemang?",
    )
    assert _leading(page) == "factual"
    assert _suggestion_languages(page) == {"sv"}
    expect(page.locator(".contact-head")).to_contain_text("Chat · sv")
