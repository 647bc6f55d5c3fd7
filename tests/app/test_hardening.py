"""Hardening the threat list in docs/security.md names: rate limits and escaping of stored text."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import csrf_token, login

SCRIPT = "<script>alert('x')</script>"


def test_logins_are_rate_limited_per_address(app: Flask, client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user("admin", "ada@example.com")
    statuses = [login(client, "ada@example.com", f"guess number {n}").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = login(client, "ada@example.com")  # even the right password waits
    # the minute's window ends within 60 s; the limiter rounds its end up to a whole second
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 61


def test_the_api_is_rate_limited_per_address_with_a_json_answer(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, make_user
) -> None:  # type: ignore[no-untyped-def]
    app.config["API_RATE_LIMIT"] = "2 per minute"
    make_user("trainer", "tina@example.com")
    token = runner.invoke(args=["create-token", "tina@example.com"]).output.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"text": "Hvorfor steg prisen?", "side": "customer"}
    statuses = [client.post("/api/v1/classify", json=body, headers=bearer).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.post("/api/v1/classify", json=body, headers=bearer)
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61  # when this minute's window ends
    elsewhere = {"REMOTE_ADDR": "10.0.0.9"}
    other = client.post("/api/v1/classify", json=body, headers=bearer, environ_base=elsewhere)
    assert other.status_code == 200  # counted per address
    app.config["API_RATE_LIMIT"] = "3 per minute"  # a changed setting counts from the next request
    assert client.post("/api/v1/classify", json=body, headers=bearer).status_code == 200


def test_stored_text_is_shown_escaped_never_as_markup(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com", agent_id="A-07")
    make_user("lead", "lena@example.com")
    token = runner.invoke(args=["create-token", "sofie@example.com"]).output.strip().splitlines()[-1]
    created = client.post(
        "/api/v1/interactions",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "interaction_id": "C-1",
            "touchpoint": "chat",
            "utterances": [{"speaker": "customer", "text": SCRIPT}],
        },
    )
    assert created.status_code == 201
    login(client, "lena@example.com")
    note = client.post(
        "/coaching/agents/A-07/notes", data={"body": SCRIPT, "csrf_token": csrf_token(client, "/")}
    )
    assert note.status_code == 303
    for path in ("/assist/C-1", "/coaching/agents/A-07"):
        html = client.get(path).get_data(as_text=True)
        assert "alert(&#39;x&#39;)" in html and "&lt;/script" in html, path  # shown, escaped
        assert "<script>alert(" not in html and "</script</mark>" not in html, path


def test_a_deactivated_users_session_and_tokens_stop_working_at_once(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "ada@example.com")
    tina = make_user("trainer", "tina@example.com")
    token = runner.invoke(args=["create-token", "tina@example.com"]).output.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"text": "Hvorfor steg prisen?", "side": "customer"}
    tina_client = app.test_client()
    login(tina_client, "tina@example.com")
    assert tina_client.get("/playbooks/").status_code == 200
    assert client.post("/api/v1/classify", json=body, headers=bearer).status_code == 200
    login(client, "ada@example.com")
    off = client.post(
        f"/admin/users/{tina.id}/active", data={"csrf_token": csrf_token(client, "/admin/users")}
    )
    assert off.status_code == 303
    page = tina_client.get("/playbooks/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.post("/api/v1/classify", json=body, headers=bearer).status_code == 401
