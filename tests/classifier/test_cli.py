"""The classifier's commands as CONTRACTS.md pins them: classify, analyze, train, evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import analyze, classify, evaluate, train
from tests.conftest import SAMPLE_TRAINING, outdated_copy


@pytest.fixture()
def cli() -> CliRunner:
    return CliRunner()


def test_classify_writes_one_line_per_input_line_in_order(cli: CliRunner, sample_model_dir: Path) -> None:
    lines = [
        {"id": "x1", "text": "Hvorfor er min regning steget?", "lang": "da"},
        {"id": "x2", "text": "Cancel it today."},
        {"id": "x3", "text": "Tack för att ni lyssnade"},
    ]
    result = cli.invoke(
        classify,
        ["--side", "customer", "--model-dir", str(sample_model_dir)],
        input="\n".join(json.dumps(line) for line in lines) + "\n",
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["x1", "x2", "x3"]
    assert out[0]["lang"] == "da"
    for o in out:
        assert set(o["probabilities"]) == {"relational", "action_oriented", "factual"}
        assert abs(sum(o["probabilities"].values()) - 1.0) < 1e-9
        assert o["preference"] == max(o["probabilities"], key=o["probabilities"].get)
        for cue in o["cues"]:
            assert {"text", "preference", "weight"} <= set(cue)


def test_bad_lines_get_error_lines_and_exit_1(
    cli: CliRunner, sample_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHPOINT_MAX_TEXT_CHARS", "50")
    content = "\n".join(
        [
            "not json",
            json.dumps({"id": "empty", "text": "  "}),
            json.dumps({"id": "big", "text": "x" * 51}),
            json.dumps({"id": "ok", "text": "luk mit abonnement"}),
        ]
    )
    result = cli.invoke(classify, ["--side", "agent", "--model-dir", str(sample_model_dir)], input=content)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0] == {"id": None, "error": out[0]["error"]} and "not valid JSON" in out[0]["error"]
    assert out[1]["id"] == "empty" and "text" in out[1]["error"]
    assert out[2]["id"] == "big" and "limit is 50" in out[2]["error"]
    assert out[3]["id"] == "ok" and "preference" in out[3]


def test_classify_trains_a_model_first_when_none_exists(cli: CliRunner, tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    result = cli.invoke(
        classify,
        ["--side", "customer", "--model-dir", str(model_dir), "--training-data", str(SAMPLE_TRAINING)],
        input=json.dumps({"id": "a", "text": "hvornår kommer teknikeren"}) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "training one" in result.stderr
    assert json.loads(result.stdout)["id"] == "a"
    assert (model_dir / "matchpoint.skops").exists()


def test_analyze_plain_text_transcript(cli: CliRunner, sample_model_dir: Path) -> None:
    transcript = (
        "Kunde: Hvorfor er regningen steget med 89 kr?\n"
        "Medarbejder: Prisen steg fordi rabatten udløb i marts.\n"
    )
    result = cli.invoke(analyze, ["--model-dir", str(sample_model_dir)], input=transcript)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    for key in (
        "customer_preference",
        "customer_probabilities",
        "agent_style",
        "agent_probabilities",
        "match_score",
        "matched",
        "language",
        "utterances",
    ):
        assert key in body
    assert body["language"] == "da"
    assert [u["speaker"] for u in body["utterances"]] == ["customer", "agent"]


def test_analyze_reports_unreadable_transcript(cli: CliRunner, sample_model_dir: Path) -> None:
    result = cli.invoke(analyze, ["--model-dir", str(sample_model_dir)], input="no prefixes here\n")
    assert result.exit_code != 0 and "line 1" in result.output


def test_train_and_evaluate_on_sample(cli: CliRunner, tmp_path: Path) -> None:
    trained = cli.invoke(train, ["--model-dir", str(tmp_path), "--training-data", str(SAMPLE_TRAINING)])
    assert trained.exit_code == 0, trained.output
    evaluated = cli.invoke(evaluate, ["--json", "--folds", "2", "--training-data", str(SAMPLE_TRAINING)])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert 0 <= report["macro_f1"] <= 1
    customer = report["sides"]["customer"]
    assert set(customer) == {"cross_validation", "heldout"}
    assert len(customer["heldout"]["confusion_matrix"]["rows_true_columns_predicted"]) == 3
    assert "calibration_error" in customer["heldout"]
    assert set(customer["heldout"]["per_language"]) <= {"da", "sv", "en"}


def test_invalid_training_data_names_file_and_line(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "customer").mkdir()
    (tmp_path / "customer" / "da.jsonl").write_text('{"id": "a"}\n')
    result = cli.invoke(train, ["--model-dir", str(tmp_path / "m"), "--training-data", str(tmp_path)])
    assert result.exit_code != 0
    assert "da.jsonl:1: missing field 'text'" in result.output


def test_classify_retrains_a_model_of_an_older_format(
    cli: CliRunner, sample_model_dir: Path, tmp_path: Path
) -> None:
    model_dir = outdated_copy(sample_model_dir, tmp_path / "models")
    sidecar = model_dir / "matchpoint.json"
    result = cli.invoke(
        classify,
        ["--side", "customer", "--model-dir", str(model_dir), "--training-data", str(SAMPLE_TRAINING)],
        input=json.dumps({"id": "a", "text": "hvornår kommer teknikeren"}) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "model format 1" in result.stderr and "Retraining" in result.stderr
    assert json.loads(sidecar.read_text())["format"] == 2
    assert json.loads(result.stdout)["id"] == "a"
