"""Command-line commands of the classifier: classify, analyze, train, evaluate."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click
from tqdm import tqdm

from classifier import dataset as data
from classifier import meaning, persistence
from classifier.analysis import analyze as analyze_turns
from classifier.evaluate import RealDataError, evaluate_real, load_real
from classifier.evaluate import evaluate as evaluate_dataset
from classifier.labels import SIDES
from classifier.pipeline import PipelineParams
from classifier.predict import Classifier
from classifier.train import train as train_model
from classifier.transcript import TranscriptError, parse

CHUNK = 256


def max_text_chars() -> int:
    return int(os.environ.get("MATCHPOINT_MAX_TEXT_CHARS", "20000"))


def ensure_model(model_dir: Path, training_dir: Path) -> Classifier:
    """Load the model, training one first (and saying so on stderr) when none exists or the
    one there was made by an older version. A damaged or untrusted file is an error."""
    if not persistence.exists(model_dir):
        click.echo(f"No trained model in {model_dir}; training one from {training_dir} …", err=True)
        train_and_save(model_dir, training_dir)
    try:
        return Classifier.load(model_dir)
    except persistence.OutdatedModelError as error:
        click.echo(f"{error}\nRetraining from {training_dir} …", err=True)
        train_and_save(model_dir, training_dir)
    except persistence.ModelError as error:
        raise click.ClickException(str(error)) from error
    try:
        return Classifier.load(model_dir)
    except persistence.ModelError as error:
        raise click.ClickException(str(error)) from error


def train_and_save(
    model_dir: Path, training_dir: Path, params: PipelineParams = PipelineParams()
) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        dataset = data.load(training_dir)
    except data.DataError as error:
        raise click.ClickException(f"training data is not valid:\n{error}") from error
    with _encoding_progress() as progress, meaning.stored_at(meaning.default_store_dir(), progress):
        pipelines, metadata = train_model(dataset, params)
    metadata["training_seconds"] = round(time.perf_counter() - started, 2)
    persistence.save(model_dir, pipelines, metadata)
    click.echo(
        f"Trained model {metadata['model_version']} in {metadata['training_seconds']} s "
        f"(held-out macro-F1 {metadata['metrics']['heldout_macro_f1']}) → {model_dir}",
        err=True,
    )
    return metadata


@contextmanager
def _encoding_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for the texts the sentence encoder has not seen on this
    machine (all of them the first time: several minutes on two cores)."""
    bar: tqdm | None = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc="Encoding texts", unit=" texts", file=sys.stderr, leave=False)
        bar.update(done)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.close()


model_dir_option = click.option(
    "--model-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of the model files (default: MATCHPOINT_MODEL_DIR or instance/models).",
)
training_dir_option = click.option(
    "--training-data",
    "training_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of the training data (default: training_data/).",
)


def _dirs(model_dir: Path | None, training_dir: Path | None) -> tuple[Path, Path]:
    return model_dir or persistence.default_model_dir(), training_dir or data.default_training_dir()


def _parse_line(line: str, limit: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(usable item, None) or (None, error line)."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as error:
        return None, {"id": None, "error": f"not valid JSON: {error.msg} at column {error.colno}"}
    if not isinstance(item, dict):
        return None, {"id": None, "error": "each line must be a JSON object"}
    ident = item.get("id")
    ident = ident if isinstance(ident, str | int) and not isinstance(ident, bool) else None
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        return None, {"id": ident, "error": "missing or empty 'text'"}
    if len(text) > limit:
        return None, {"id": ident, "error": f"text has {len(text)} characters; the limit is {limit}"}
    lang = item.get("lang")
    if lang is not None and not isinstance(lang, str):
        return None, {"id": ident, "error": "'lang' must be a string such as \"da\""}
    return {"id": ident, "text": text, "lang": lang}, None


def _chunks(stream: TextIO) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in stream:
        if not line.strip():
            continue
        chunk.append(line)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@click.command("classify")
@click.option("--side", type=click.Choice(SIDES), required=True)
@click.option("--input", "source", type=click.File("r", encoding="utf-8"), default="-")
@model_dir_option
@training_dir_option
def classify(side: str, source: TextIO, model_dir: Path | None, training_dir: Path | None) -> None:
    """Classify JSON lines {"id", "text", "lang"?}; one JSON line out per line in."""
    classifier = ensure_model(*_dirs(model_dir, training_dir))
    limit = max_text_chars()
    failed = False
    out = sys.stdout
    for chunk in _chunks(source):
        parsed = [_parse_line(line, limit) for line in chunk]
        usable = [item for item, _ in parsed if item is not None]
        predictions = iter(
            classifier.classify_many(
                [item["text"] for item in usable], side, [item["lang"] for item in usable]
            )
        )
        for item, error in parsed:
            if error is not None:
                failed = True
                out.write(json.dumps(error, ensure_ascii=False) + "\n")
            else:
                assert item is not None
                out.write(json.dumps(next(predictions).to_json(item["id"]), ensure_ascii=False) + "\n")
        out.flush()
    sys.exit(1 if failed else 0)


@click.command("analyze")
@click.option("--input", "source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "vtt", "json"]), default="auto")
@model_dir_option
@training_dir_option
def analyze(source: TextIO, fmt: str, model_dir: Path | None, training_dir: Path | None) -> None:
    """Analyse one transcript: the customer's preference, the agent's style, the match."""
    content = source.read()
    try:
        turns = parse(content, fmt)  # type: ignore[arg-type]
    except TranscriptError as error:
        raise click.ClickException(f"cannot read the transcript: {error}") from error
    if not turns:
        raise click.ClickException("the transcript holds no customer or agent turns")
    too_long = [i for i, turn in enumerate(turns) if len(turn.text) > max_text_chars()]
    if too_long:
        raise click.ClickException(f"turn {too_long[0] + 1} is longer than {max_text_chars()} characters")
    classifier = ensure_model(*_dirs(model_dir, training_dir))
    result = analyze_turns(classifier, turns)
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


@click.command("train")
@click.option(
    "--no-embeddings",
    is_flag=True,
    help="n-grams only: about 50 times faster to score, less accurate on real text "
    "(docs/model-card.md); for bulk rescoring where speed matters more.",
)
@model_dir_option
@training_dir_option
def train(no_embeddings: bool, model_dir: Path | None, training_dir: Path | None) -> None:
    """Train the model from the training data and save it (skops + JSON sidecar)."""
    params = PipelineParams(meaning_weight=None) if no_embeddings else PipelineParams()
    metadata = train_and_save(*_dirs(model_dir, training_dir), params)
    click.echo(json.dumps(metadata["metrics"], indent=2))


@click.command("evaluate")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option(
    "--real",
    "real_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Labelled JSON lines of real messages: score the trained model on them instead.",
)
@model_dir_option
@training_dir_option
def evaluate(
    as_json: bool, folds: int, real_path: Path | None, model_dir: Path | None, training_dir: Path | None
) -> None:
    """Cross-validated and held-out metrics per side and language (or, with --real, the
    trained model's figures on labelled real messages per side, language and source)."""
    if real_path is not None:
        _evaluate_real(real_path, as_json, *_dirs(model_dir, training_dir))
        return
    try:
        dataset = data.load(training_dir or data.default_training_dir())
    except data.DataError as error:
        raise click.ClickException(f"training data is not valid:\n{error}") from error
    with meaning.stored_at(meaning.default_store_dir()):
        report = evaluate_dataset(dataset, folds=folds)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"macro-F1 ({report['macro_f1_source']}): {report['macro_f1']}")
    for side, side_report in report["sides"].items():
        for part in ("cross_validation", "heldout"):
            if part in side_report:
                scores = side_report[part]
                langs = ", ".join(f"{k} {v['macro_f1']}" for k, v in scores["per_language"].items())
                click.echo(
                    f"  {side:8} {part:16} {scores['macro_f1']}  ({langs})  ECE {scores['calibration_error']}"
                )


def _evaluate_real(path: Path, as_json: bool, model_dir: Path, training_dir: Path) -> None:
    try:
        rows = load_real(path)
    except RealDataError as error:
        raise click.ClickException(f"{path} cannot be used:\n{error}") from error
    report = evaluate_real(ensure_model(model_dir, training_dir), rows)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"model {report['model_version']} on {path} ({report['n']} messages)")
    click.echo(f"  {'side / part':34} {'n':>5} {'macro-F1':>8} {'acc':>6} {'ECE':>6} {'clear':>6}")
    for side, side_report in report["sides"].items():
        lines = [(f"{side} / all", side_report)]
        lines += [(f"{side} / {lang}", s) for lang, s in side_report["per_language"].items()]
        lines += [(f"{side} / {source}", s) for source, s in side_report["per_source"].items()]
        for name, s in lines:
            click.echo(
                f"  {name:34} {s['n']:>5} {s['macro_f1']:>8.3f} {s['accuracy']:>6.3f} "
                f"{s['calibration_error']:>6.3f} {s['clear_share']:>6.2f}"
            )


@click.command("score-batch")
@click.option(
    "--input",
    "input_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Parquet file or folder of utterances: interaction_id, seq, speaker, text.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write, one Parquet part per partition, one row per interaction.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Process workers of the local cluster (default: one per core).",
)
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler to use instead.")
@model_dir_option
@training_dir_option
def score_batch_command(
    input_path: Path,
    output_path: Path,
    workers: int | None,
    scheduler: str | None,
    model_dir: Path | None,
    training_dir: Path | None,
) -> None:
    """Score a Parquet file of utterances on Dask: one row per interaction (CONTRACTS.md)."""
    from classifier.batch import BatchError, check_input, score_batch  # Dask loads only when used

    try:
        check_input(input_path)
    except BatchError as error:
        raise click.ClickException(str(error)) from error
    model_dir, training_dir = _dirs(model_dir, training_dir)
    ensure_model(model_dir, training_dir)  # trains when missing; workers then load the files
    try:
        report = score_batch(input_path, output_path, model_dir, workers=workers, scheduler=scheduler)
    except BatchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Scored {report.interactions} interactions ({report.utterances} utterances) in "
        f"{report.seconds} s on {report.workers} worker(s) → {output_path}",
        err=True,
    )


COMMANDS = (classify, analyze, train, evaluate, score_batch_command)
