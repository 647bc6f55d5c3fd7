"""Fragment or full page: decided in one place, from htmx's headers."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_plain_request_gets_the_full_error_page_and_vary(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    from tests.conftest import login

    login(client, "sofie@example.com")
    response = client.get("/admin/users")
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<html" in body and 'id="error"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_request_gets_only_the_fragment(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    from tests.conftest import login

    login(client, "sofie@example.com")
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<html" not in body and body.lstrip().startswith('<section id="error"')


def test_boosted_and_history_restore_requests_get_the_full_page(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com")
    from tests.conftest import login

    login(client, "sofie@example.com")
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        response = client.get("/admin/users", headers={"HX-Request": "true", **extra})
        assert "<html" in response.get_data(as_text=True)
