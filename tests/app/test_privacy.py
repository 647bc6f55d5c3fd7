"""Privacy operations: keyed customer references, erasure, retention purge, the admin page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from app.assist.service import add_utterance, customer_for, start_interaction
from app.audit import record
from app.classification import get_classifier
from app.coaching.queries import Filters, report
from app.extensions import db
from app.followup.service import eligibility, record_survey
from app.models import Agent, AuditEvent, Customer, FollowUp, Interaction, Survey
from app.privacy.erasure import ERASED, PURGED, UnknownCustomer, erase_customer, purge
from app.privacy.pseudonyms import find_customer, pseudonym
from tests.conftest import csrf_token, login

KEY = "test-customer-ref-key"
NOW = datetime.now(UTC).replace(microsecond=0)
TURNS = (
    ("customer", "Hej, jeg hedder Mette Hansen og min regning er steget. Hvorfor?"),
    ("agent", "Prisen steg fordi rabatten udløb i marts."),
)
COMMENT = "Mette her, ring mig gerne tilbage"
OUTCOME = "Talked to Mette, credited 100 kr."


@pytest.fixture()
def people(make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("agent", "sofie@example.com", agent_id="A-07")
    make_user("lead", "lena@example.com")
    make_user("admin", "ada@example.com")


def _contact(
    app: Flask,
    external_id: str,
    customer: str | None,
    started_at: datetime = NOW,
    score: int | None = None,
    comment: str | None = None,
    outcome: str | None = None,
) -> None:
    """One stored contact of agent A-07: two turns, optionally a survey and a closed follow-up."""
    with app.app_context():
        agent = db.session.scalar(select(Agent).where(Agent.external_id == "A-07"))
        assert agent is not None
        interaction = start_interaction(
            db.session,
            agent=agent,
            touchpoint="phone",
            external_id=external_id,
            customer_ref=customer,
            language="da",
            started_at=started_at,
        )
        classifier = get_classifier()
        for speaker, text in TURNS:
            add_utterance(db.session, interaction, speaker, text, classifier)
        if score is not None:
            answered = started_at + timedelta(hours=1)
            survey = record_survey(db.session, interaction, score, answered, comment, 48)
            db.session.flush()
            if outcome is not None:
                followup = db.session.scalar(select(FollowUp).where(FollowUp.survey_id == survey.id))
                assert followup is not None
                followup.status, followup.outcome, followup.closed_at = "closed", outcome, answered
        db.session.commit()


def _report() -> str:
    """The coaching report as JSON text (NaN compares equal to itself there)."""
    return json.dumps(report(db.session, Filters()), sort_keys=True, default=str)


def _labels(external_id: str) -> tuple[object, ...]:
    i = db.session.scalar(select(Interaction).where(Interaction.external_id == external_id))
    assert i is not None
    score = db.session.scalar(select(Survey.score).where(Survey.interaction_id == i.id))
    return (
        i.customer_preference,
        i.agent_style,
        i.match_score,
        i.matched,
        i.customer_p_relational,
        [(u.speaker, u.preference, u.p_relational) for u in i.utterances],
        score,
    )


def _texts(external_id: str) -> tuple[list[str | None], str | None, str | None]:
    i = db.session.scalar(select(Interaction).where(Interaction.external_id == external_id))
    assert i is not None
    texts = [u.text for u in i.utterances]
    survey = db.session.scalar(select(Survey).where(Survey.interaction_id == i.id))
    if survey is None:
        return texts, None, None
    outcome = db.session.scalar(select(FollowUp.outcome).where(FollowUp.survey_id == survey.id))
    return texts, survey.comment, outcome


def _cues(external_id: str) -> list[str | None]:
    """Each turn's stored cues (JSON quoting the text; a customer turn has them once classified)."""
    i = db.session.scalar(select(Interaction).where(Interaction.external_id == external_id))
    assert i is not None
    return [u.cues for u in i.utterances]


def _audit_text() -> str:
    events = db.session.scalars(select(AuditEvent)).all()
    return json.dumps([[e.action, e.target, e.actor_label, e.detail] for e in events])


# --- keyed hashing of customer references -------------------------------------------------


def test_pseudonym_is_a_keyed_versioned_hmac() -> None:
    value = pseudonym("K-1", KEY)
    assert value.startswith("h1:") and len(value) == 3 + 64
    assert value == pseudonym("K-1", KEY)
    assert value != pseudonym("K-1", "another key") != pseudonym("K-2", KEY)
    assert "K-1" not in value


def test_with_a_key_the_database_never_holds_the_raw_reference(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, people: None
) -> None:
    app.config["CUSTOMER_REF_KEY"] = KEY
    _contact(app, "C-1", "K-9", score=8)
    _contact(app, "C-2", "K-9")
    with app.app_context():
        refs = db.session.scalars(select(Customer.ref)).all()
        assert refs == [pseudonym("K-9", KEY)]
        assert db.session.scalar(select(func.count(Customer.id)).where(Customer.ref.contains("K-9"))) == 0
        both = db.session.scalars(select(Interaction.customer_id).order_by(Interaction.external_id)).all()
        assert both[0] is not None and both[0] == both[1]  # the lookup found the same customer again
        found = find_customer(db.session, "K-9")
        assert found is not None and found.id == both[0]
        assert find_customer(db.session, pseudonym("K-9", KEY)) is None  # a stored value is no reference
        capped = eligibility(db.session, "K-9", "phone", 30)
        assert capped.eligible is False and "at most one per 30 days" in capped.reason
    token = runner.invoke(args=["create-token", "sofie@example.com"]).output.strip().splitlines()[-1]
    over_api = client.get(
        "/api/v1/surveys/eligibility?customer_ref=K-9&touchpoint=chat",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert over_api["eligible"] is False
    created = client.post(
        "/api/v1/interactions",
        headers={"Authorization": f"Bearer {token}"},
        json={"interaction_id": "C-3", "touchpoint": "chat", "customer_ref": "K-9"},
    )
    assert created.status_code == 201
    with app.app_context():
        assert db.session.scalars(select(Customer.ref)).all() == [pseudonym("K-9", KEY)]


def test_unkeyed_refs_are_stored_as_given_and_rekeyed_once_a_key_is_set(app: Flask, people: None) -> None:
    assert app.config["CUSTOMER_REF_KEY"] is None  # the embedded default
    _contact(app, "C-1", "K-5", score=9)
    with app.app_context():
        assert db.session.scalars(select(Customer.ref)).all() == ["K-5"]
    app.config["CUSTOMER_REF_KEY"] = KEY
    with app.app_context():  # a row from before the key is still found, without writing anything
        assert eligibility(db.session, "K-5", "phone", 30).eligible is False
        assert db.session.scalars(select(Customer.ref)).all() == ["K-5"]
    _contact(app, "C-2", "K-5")
    with app.app_context():
        assert db.session.scalars(select(Customer.ref)).all() == [pseudonym("K-5", KEY)]
        assert len(set(db.session.scalars(select(Interaction.customer_id)).all())) == 1
        assert customer_for(db.session, "K-5", key=None) is not None  # an explicit key overrides config


# --- erasure ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "keyed"])
def test_erasure_removes_the_customers_text_and_keeps_every_figure(
    app: Flask, people: None, key: str | None
) -> None:
    app.config["CUSTOMER_REF_KEY"] = key
    _contact(app, "C-1", "K-1", started_at=NOW - timedelta(days=3), score=3, comment=COMMENT, outcome=OUTCOME)
    _contact(app, "C-2", "K-1", started_at=NOW - timedelta(days=2), score=10, comment="Fin service")
    _contact(
        app,
        "C-3",
        "K-2",
        started_at=NOW - timedelta(days=1),
        score=2,
        comment="Ring til Jens",
        outcome="Jens ok",
    )
    with app.app_context():
        report_before = _report()
        labels_before = {x: _labels(x) for x in ("C-1", "C-2", "C-3")}
        other_before = _texts("C-3")
        assert _cues("C-1")[0] is not None and _cues("C-1")[1] is None  # a customer turn's, kept
        report = erase_customer(db.session, "K-1", actor=None)
        db.session.commit()
        assert (report.interactions, report.utterances, report.comments, report.outcomes) == (2, 4, 2, 1)

        for external_id in ("C-1", "C-2"):
            texts, comment, outcome = _texts(external_id)
            assert texts == [None, None] and comment is None and outcome is None
            assert _cues(external_id) == [None, None]  # the cues quoted the text
        assert _texts("C-3") == other_before  # another customer is untouched
        assert {x: _labels(x) for x in ("C-1", "C-2", "C-3")} == labels_before  # labels and scores stay
        assert _report() == report_before  # so does every coaching figure
        assert find_customer(db.session, "K-1") is None
        assert db.session.scalar(select(func.count(Customer.id))) == 1
        assert db.session.scalars(
            select(Interaction.customer_id).where(Interaction.external_id.in_(["C-1", "C-2"]))
        ).all() == [None, None]
        assert eligibility(db.session, "K-1", "phone", 30).eligible is True  # nothing left to link

        event = db.session.get(AuditEvent, report.audit_event_id)
        assert event is not None and event.action == ERASED
        counts = {"interactions": 2, "utterances": 4, "comments": 2, "outcomes": 1}
        assert counts.items() <= event.detail.items()
        if key:
            assert event.detail["ref_hash"] == pseudonym("K-1", key)[3:15]
        else:
            assert "ref_hash" not in event.detail  # an unkeyed hash of a short ref could be brute-forced
        audit = _audit_text()
        for secret in ("K-1", "Mette", "100 kr", pseudonym("K-1", KEY)):
            assert secret not in audit


def test_erasing_an_unknown_customer_is_a_clear_error_that_changes_nothing(app: Flask, people: None) -> None:
    _contact(app, "C-1", "K-1", score=3, comment=COMMENT)
    with app.app_context():
        with pytest.raises(UnknownCustomer, match="No customer is stored under the reference 'K-404'"):
            erase_customer(db.session, "K-404", actor=None)
        db.session.commit()
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == ERASED)) == 0
        assert _texts("C-1")[1] is not None


def test_erasure_is_all_or_nothing_and_leaves_the_callers_work_alone(
    app: Flask, people: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _contact(app, "C-1", "K-1", score=3, comment=COMMENT, outcome=OUTCOME)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("app.privacy.erasure.record", broken_audit)
    with app.app_context():
        before = _texts("C-1")
        record(db.session, "unrelated", actor=None)  # the caller's own pending change
        with pytest.raises(RuntimeError):
            erase_customer(db.session, "K-1", actor=None)
        db.session.commit()
        assert _texts("C-1") == before and all(before[0]) and before[1] and before[2]
        assert find_customer(db.session, "K-1") is not None
        unrelated = select(func.count(AuditEvent.id)).where(AuditEvent.action == "unrelated")
        assert db.session.scalar(unrelated) == 1


# --- retention purge ------------------------------------------------------------------------


def test_purge_removes_only_old_text_and_keeps_labels_and_scores(app: Flask, people: None) -> None:
    _contact(
        app, "OLD-1", "K-1", started_at=NOW - timedelta(days=400), score=3, comment=COMMENT, outcome=OUTCOME
    )
    _contact(app, "OLD-2", None, started_at=NOW - timedelta(days=366))
    _contact(app, "NEW-1", "K-1", started_at=NOW - timedelta(days=10), score=9, comment="Super")
    with app.app_context():
        report_before = _report()
        labels_before = {x: _labels(x) for x in ("OLD-1", "OLD-2", "NEW-1")}
        new_before = _texts("NEW-1")
        cues_before = _cues("NEW-1")
        assert cues_before[0] is not None
        with pytest.raises(ValueError):
            purge(db.session, 0)
        report = purge(db.session, 365, now=NOW)
        db.session.commit()
        assert (report.interactions, report.utterances, report.comments, report.outcomes) == (2, 4, 1, 1)
        assert report.cutoff == NOW - timedelta(days=365)
        assert _texts("OLD-1") == ([None, None], None, None)
        assert _texts("OLD-2")[0] == [None, None]
        assert _texts("NEW-1") == new_before
        assert _cues("OLD-1") == _cues("OLD-2") == [None, None] and _cues("NEW-1") == cues_before
        assert {x: _labels(x) for x in ("OLD-1", "OLD-2", "NEW-1")} == labels_before
        assert _report() == report_before
        assert find_customer(db.session, "K-1") is not None  # purge is about age, not about customers
        event = db.session.get(AuditEvent, report.audit_event_id)
        assert event is not None and event.action == PURGED
        assert event.detail["utterances"] == 4 and event.detail["older_than_days"] == 365
        assert "Mette" not in _audit_text()
        again = purge(db.session, 365, now=NOW)  # nothing left: counted as such, still logged
        assert (again.interactions, again.utterances, again.comments, again.outcomes) == (0, 0, 0, 0)


# --- commands -------------------------------------------------------------------------------


def test_erase_customer_command(app: Flask, runner: FlaskCliRunner, people: None) -> None:
    _contact(app, "C-1", "K-1", score=3, comment=COMMENT, outcome=OUTCOME)
    done = runner.invoke(args=["erase-customer", "K-1"])
    assert done.exit_code == 0, done.output
    assert "2 utterance text(s), 1 survey comment(s) and 1 follow-up outcome(s) removed" in done.output
    assert "1 interaction(s) kept" in done.output
    with app.app_context():
        assert _texts("C-1") == ([None, None], None, None)  # committed
    again = runner.invoke(args=["erase-customer", "K-1"])
    assert again.exit_code == 1
    assert "No customer is stored under the reference 'K-1'" in again.output
    assert runner.invoke(args=["erase-customer"]).exit_code == 2


def test_purge_command(app: Flask, runner: FlaskCliRunner, people: None) -> None:
    _contact(app, "OLD-1", "K-1", started_at=NOW - timedelta(days=40), score=9, comment="Super")
    _contact(app, "NEW-1", "K-2", started_at=NOW - timedelta(days=5))
    assert runner.invoke(args=["purge", "--older-than", "0"]).exit_code == 2
    assert runner.invoke(args=["purge", "--older-than", "soon"]).exit_code == 2
    kept = runner.invoke(args=["purge"])  # the configured retention period: 365 days
    assert kept.exit_code == 0, kept.output
    assert "Purged text from 0 interaction(s)" in kept.output and "(365 days)" in kept.output
    done = runner.invoke(args=["purge", "--older-than", "30"])
    assert done.exit_code == 0, done.output
    assert "Purged text from 1 interaction(s)" in done.output
    assert "2 utterance text(s), 1 survey comment(s), 0 follow-up outcome(s)" in done.output
    app.config["RETENTION_DAYS"] = 3
    assert "Purged text from 1 interaction(s)" in runner.invoke(args=["purge"]).output
    with app.app_context():
        assert _texts("OLD-1") == ([None, None], None, None) and _texts("NEW-1")[0] == [None, None]
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == PURGED)) == 3


# --- the admin page -------------------------------------------------------------------------


def test_only_admins_see_the_privacy_page(app: Flask, client: FlaskClient, people: None) -> None:
    _contact(app, "OLD-1", "K-1", started_at=NOW - timedelta(days=400), score=3, comment=COMMENT)
    _contact(app, "NEW-1", "K-2")
    assert client.get("/admin/privacy/").status_code == 302  # to the login page
    login(client, "lena@example.com")
    assert client.get("/admin/privacy/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "ada@example.com")
    page = client.get("/admin/privacy/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="privacy-overview"' in html
    assert "Utterances with text</th><td>4" in html and "Customers</th><td>2" in html
    assert "365 days" in html and "1 interaction(s) with 2 utterance text(s)" in html
    assert "stored as given" in html
    assert (NOW - timedelta(days=400)).strftime("%Y-%m-%d") in html
    fragment = client.get("/admin/privacy/", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="privacy-overview"')
    assert "HX-Request" in fragment.headers["Vary"]
    app.config["CUSTOMER_REF_KEY"] = KEY
    assert "keyed-hashed" in client.get("/admin/privacy/").get_data(as_text=True)


def test_privacy_posts_need_csrf_and_confirmation(app: Flask, client: FlaskClient, people: None) -> None:
    _contact(app, "OLD-1", "K-1", started_at=NOW - timedelta(days=400), score=3, comment=COMMENT)
    _contact(app, "NEW-1", "K-2", score=9, comment="Super")
    login(client, "lena@example.com")
    token = csrf_token(client, "/")
    assert (
        client.post(
            "/admin/privacy/erase", data={"csrf_token": token, "customer_ref": "K-1", "confirm": "yes"}
        ).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": token})
    login(client, "ada@example.com")
    no_token = client.post("/admin/privacy/erase", data={"customer_ref": "K-1", "confirm": "yes"})
    assert no_token.status_code == 400
    assert client.post("/admin/privacy/purge", data={"confirm": "yes"}).status_code == 400
    token = csrf_token(client, "/admin/privacy/")
    unconfirmed = client.post("/admin/privacy/erase", data={"csrf_token": token, "customer_ref": "K-1"})
    assert unconfirmed.status_code == 422 and "tick the box" in unconfirmed.get_data(as_text=True)
    unknown = client.post(
        "/admin/privacy/erase", data={"csrf_token": token, "customer_ref": "K-404", "confirm": "yes"}
    )
    assert unknown.status_code == 422 and "nothing was erased" in unknown.get_data(as_text=True)
    assert "K-404" not in unknown.get_data(as_text=True)
    assert client.post("/admin/privacy/purge", data={"csrf_token": token}).status_code == 422
    with app.app_context():
        assert _texts("OLD-1")[1] and _texts("NEW-1")[1] == "Super"  # nothing happened yet
    erased = client.post(
        "/admin/privacy/erase", data={"csrf_token": token, "customer_ref": "K-2", "confirm": "yes"}
    )
    assert erased.status_code == 303 and erased.headers["Location"].endswith("/admin/privacy/")
    purged = client.post("/admin/privacy/purge", data={"csrf_token": token, "confirm": "yes"})
    assert purged.status_code == 303
    with app.app_context():
        assert _texts("NEW-1") == ([None, None], None, None)
        assert _texts("OLD-1")[:2] == ([None, None], None)
    page = client.get("/admin/privacy/").get_data(as_text=True)
    assert "Purged 2 utterance text(s), 1 comment(s)" in page
    log = page[page.index('id="privacy-log"') :]
    assert "customer erased" in log and "purge, older than 365 days" in log and "ada@example.com" in log
    assert "K-2" not in log
    htmx_post = client.post(
        "/admin/privacy/purge", data={"csrf_token": token, "confirm": "yes"}, headers={"HX-Request": "true"}
    )
    assert htmx_post.status_code == 204 and htmx_post.headers["HX-Location"].endswith("/admin/privacy/")
