"""The classifier's commands as CONTRACTS.md pins them: classify, analyze, train, evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier import persistence
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
    assert json.loads(sidecar.read_text())["format"] == persistence.FORMAT
    assert json.loads(result.stdout)["id"] == "a"


# Labelled "real" lines for `evaluate --real`: written for this test, two sources per side.
REAL_LINES = [
    {"side": side, "lang": lang, "text": text, "label": label, **({"source": source} if source else {})}
    for side, lang, source, text, label in [
        ("customer", "en", "tweets", "any news on my refund??", "action_oriented"),
        ("customer", "en", "tweets", "why is the fee higher in May?", "factual"),
        ("customer", "da", "reviews", "Søde og rare folk i butikken", "relational"),
        ("customer", "da", "reviews", "Hvorfor koster fragten 49 kr?", "factual"),
        ("agent", "en", None, "DM us the order number and we'll chase it", "action_oriented"),
        ("agent", "en", None, "So sorry to hear that, Jo", "relational"),
    ]
]


def test_train_without_embeddings_makes_an_n_gram_model_that_classifies(
    cli: CliRunner, tmp_path: Path
) -> None:
    args = ["--no-embeddings", "--model-dir", str(tmp_path), "--training-data", str(SAMPLE_TRAINING)]
    assert cli.invoke(train, args).exit_code == 0
    stored = persistence.load(tmp_path)
    assert stored.metadata["params"]["meaning_weight"] is None
    assert "classifier.meaning.SentenceEmbedder" not in persistence.stored_types(
        tmp_path / "matchpoint.skops"
    )
    result = cli.invoke(
        classify,
        ["--side", "customer", "--model-dir", str(tmp_path)],
        input=json.dumps({"id": "a", "text": "Send it today"}) + "\n",
    )
    assert result.exit_code == 0 and json.loads(result.stdout)["id"] == "a"


def test_evaluate_real_reports_each_side_language_and_source(
    cli: CliRunner, sample_model_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "real.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in REAL_LINES))
    result = cli.invoke(evaluate, ["--real", str(path), "--json", "--model-dir", str(sample_model_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 6 and set(report["sides"]) == {"customer", "agent"}
    customer = report["sides"]["customer"]
    assert customer["n"] == 4 and set(customer["per_language"]) == {"en", "da"}
    assert set(customer["per_source"]) == {"tweets", "reviews"}
    assert set(report["sides"]["agent"]["per_source"]) == {"unknown"}
    for scores in (customer, customer["per_language"]["da"], customer["per_source"]["tweets"]):
        matrix = scores["confusion_matrix"]["rows_true_columns_predicted"]
        assert sum(map(sum, matrix)) == scores["n"]
        correct = sum(matrix[i][i] for i in range(3))
        assert scores["accuracy"] == round(correct / scores["n"], 4)
        assert 0 <= scores["macro_f1"] <= 1 and 0 <= scores["calibration_error"] <= 1
        assert 0 <= scores["clear_share"] <= 1
    table = cli.invoke(evaluate, ["--real", str(path), "--model-dir", str(sample_model_dir)])
    assert table.exit_code == 0 and "customer / da" in table.stdout and "agent / all" in table.stdout


def test_evaluate_real_names_every_unusable_line(
    cli: CliRunner, sample_model_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "real.jsonl"
    path.write_text(
        json.dumps(REAL_LINES[0]) + "\n"
        + "not json\n"
        + json.dumps({**REAL_LINES[1], "label": "unclear"}) + "\n"
        + json.dumps({"side": "customer", "lang": "en", "label": "factual"}) + "\n"
    )  # fmt: skip
    result = cli.invoke(evaluate, ["--real", str(path), "--model-dir", str(sample_model_dir)])
    assert result.exit_code == 1
    for problem in ("line 2: not valid JSON", "line 3: side or label", "line 4: missing text"):
        assert problem in result.output
