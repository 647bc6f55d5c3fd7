"""Schemathesis against the app's own OpenAPI description, through WSGI (no network):
no generated request, valid or not, gets a 500, and every error has the contract's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from app.classification import get_classifier
from app.extensions import db
from app.imports.service import import_interactions

OPENAPI = "/api/v1/openapi.json"
KNOWN_ID = "C-1"
EXAMPLES_PER_MODE = 25


@pytest.fixture()
def token(app: Flask, runner: FlaskCliRunner, make_user) -> str:  # type: ignore[no-untyped-def]
    """A lead's API token, and one interaction of the lead's team that requests may name."""
    app.config["API_RATE_LIMIT"] = "100000 per minute"  # the limiter is tested elsewhere
    make_user("lead", "lead@example.com", team="Aarhus 1")
    line = {
        "interaction_id": KNOWN_ID,
        "agent_id": "A-07",
        "team": "Aarhus 1",
        "touchpoint": "chat",
        "started_at": "2026-03-02T09:14:00Z",
        "customer_ref": "K-1",
        "utterances": [{"speaker": "customer", "text": "Why did my bill go up?"}],
    }
    with app.app_context():
        assert import_interactions(db.session, [json.dumps(line)], get_classifier()).ok
        db.session.commit()
    result = runner.invoke(args=["create-token", "lead@example.com"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _assert_contract(response: Any) -> None:
    """`response` is Flask's test response or schemathesis' own; both have status and bytes."""
    status = response.status_code
    raw = response.get_data() if hasattr(response, "get_data") else response.content
    assert status < 500, f"{status}: {raw[:500]!r}"
    if status >= 400:
        headers = {key.lower(): value for key, value in response.headers.items()}
        content_type = headers.get("content-type", "")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/json"), (status, raw[:300])
        body = json.loads(raw)
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"].get("code"), str) and body["error"]["code"]
        assert isinstance(body["error"].get("message"), str) and body["error"]["message"]


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_description_lists_every_api_route(app: Flask) -> None:
    described = {
        (op.method.upper(), "/api/v1" + op.path.replace("{interaction_id}", "<external_id>"))
        for op in _operations(app)
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == described


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_generated_request_gets_a_500_and_errors_have_the_contract_shape(
    app: Flask, token: str, mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    statuses: dict[str, set[int]] = {}
    for operation in _operations(app):
        strategies = [operation.as_strategy(generation_mode=mode)]
        if "{interaction_id}" in operation.path:  # also requests about an interaction that exists
            strategies.append(
                operation.as_strategy(generation_mode=mode, path_parameters={"interaction_id": KNOWN_ID})
            )

        @settings(
            max_examples=EXAMPLES_PER_MODE,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def check(case: Any) -> None:
            # Negative cases may carry their own Authorization; ours must win for the body to matter.
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            statuses.setdefault(case.operation.label, set()).add(response.status_code)
            _assert_contract(response)

        check()
    if mode is GenerationMode.POSITIVE:  # the valid requests really got through somewhere
        assert any(status < 300 for codes in statuses.values() for status in codes), statuses


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-token", "Basic abc", "bearer \x7f"])
def test_requests_without_a_valid_token_get_401_in_the_contract_shape(
    app: Flask, authorization: str | None
) -> None:
    client = app.test_client()
    headers = {"Authorization": authorization} if authorization else {}
    for operation in _operations(app):
        path = "/api/v1" + operation.path.replace("{interaction_id}", KNOWN_ID)
        response = client.open(path, method=operation.method.upper(), headers=headers, json={})
        assert response.status_code == 401
        _assert_contract(response)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/classify", {"text": "nul\x00byte", "side": "customer"}),
        ("/api/v1/classify", {"text": "lone \ud800 surrogate", "side": "customer"}),
        ("/api/v1/interactions", {"touchpoint": "chat", "agent_id": "A-07", "interaction_id": "\x00"}),
        ("/api/v1/interactions/C-1/utterances", {"speaker": "customer", "text": "a\x00b"}),
        (
            "/api/v1/surveys",
            {"interaction_id": "C-1", "score": 3, "responded_at": "9999-12-31T23:59:59-01:00"},
        ),
        (
            "/api/v1/surveys",
            {"interaction_id": "C-1", "score": 3, "responded_at": "2026-03-02T10:00:00Z", "comment": "\x00"},
        ),
    ],
)
def test_text_a_database_cannot_hold_is_refused_with_422(
    app: Flask, token: str, path: str, body: dict
) -> None:
    response = app.test_client().post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.get_json()
    _assert_contract(response)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/interactions/%00/assist", "/api/v1/surveys/eligibility?customer_ref=%00&touchpoint=chat"],
)
def test_a_nul_in_the_url_is_an_error_not_a_crash(app: Flask, token: str, path: str) -> None:
    response = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (404, 422)
    _assert_contract(response)
