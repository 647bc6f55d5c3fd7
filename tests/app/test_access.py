"""Who may open what: login redirects, 403 by role, CSRF, API tokens, lock-out."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.roles import ROLES_ATTRIBUTE
from app.extensions import db
from app.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, login


def _page_rules(app: Flask) -> list[str]:
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and rule.endpoint != "static"
        and not rule.rule.startswith("/api/")
        and getattr(app.view_functions[rule.endpoint], ROLES_ATTRIBUTE) != ("public",)
    ]


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], ROLES_ATTRIBUTE)
    ]
    assert undeclared == []


def test_anonymous_visitor_is_sent_to_login_from_every_page(app: Flask, client: FlaskClient) -> None:
    pages = _page_rules(app)
    assert "/" in pages and "/admin/users" in pages
    for path in pages:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


def test_login_then_logout(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    response = login(client, "boss@example.com")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_and_audited(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    response = login(client, "boss@example.com", "not the password")
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    with client.application.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "login_failed" in actions


def test_repeated_failures_lock_the_account(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    for _ in range(5):
        login(client, "boss@example.com", "wrong wrong wrong")
    response = login(client, "boss@example.com", PASSWORD)  # right password, but locked
    assert response.status_code == 401
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_agent_gets_403_on_admin_pages(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    login(client, "sofie@example.com")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Not for your role" in response.get_data(as_text=True)


def test_form_post_without_csrf_token_is_refused(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    login(client, "boss@example.com")
    response = client.post(
        "/admin/users", data={"email": "x@example.com", "password": "p" * 14, "role": "trainer"}
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_htmx_post_without_csrf_header_is_refused_and_with_it_accepted(
    client: FlaskClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    login(client, "boss@example.com")
    form = {"email": "t@example.com", "password": "a-long-enough-secret", "role": "trainer"}
    refused = client.post("/admin/users", data=form, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    token = csrf_token(client, "/admin/users")
    accepted = client.post("/admin/users", data=form, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 303


def test_login_next_only_follows_local_paths(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    response = client.post(
        "/login",
        data={
            "email": "boss@example.com",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/"


def test_api_without_token_gets_401_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/classify", json={"text": "hej", "side": "customer"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_with_bad_token_gets_401(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/classify", json={"text": "hej"}, headers={"Authorization": "Bearer mp_nope"}
    )
    assert response.status_code == 401
    assert "not valid" in response.get_json()["error"]["message"]


def test_security_headers_on_pages(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_answers_without_login(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_login_session_expires_after_the_configured_hours(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("admin", "boss@example.com")
    response = login(client, "boss@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_token_and_its_user_are_read_in_one_round_trip(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    from app.auth.accounts import issue_token, user_for_token

    make_user("agent", "sofie@example.com")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sofie@example.com"))
        token = issue_token(db.session, user)
        db.session.commit()
        db.session.expunge_all()
        statements: list[str] = []
        engine = db.session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (cursor, statement, …)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            found = user_for_token(db.session, token)
            assert found is not None and found.email == "sofie@example.com" and found.role == "agent"
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements
