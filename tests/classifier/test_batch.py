"""Batch scoring on a real local Dask cluster equals single-process scoring of the same rows."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from classifier import dataset
from classifier.analysis import analyze
from classifier.batch import OUTPUT_COLUMNS, OUTPUT_SCHEMA, score_batch, score_frame
from classifier.cli import score_batch_command
from classifier.labels import LABELS, SIDES
from classifier.predict import Classifier
from classifier.transcript import Turn
from tests.conftest import SAMPLE_TRAINING


@pytest.fixture(scope="module")
def utterances() -> pd.DataFrame:
    """60 interactions of 1–9 turns from the sample texts, rows shuffled; some one-sided."""
    data = dataset.load(SAMPLE_TRAINING)
    texts = {side: data.side(side)["text"].tolist() for side in SIDES}
    rng = random.Random(11)
    rows = []
    for number in range(60):
        turns = rng.randint(1, 9)
        for seq in range(turns):
            if number % 10 == 0:
                speaker = "customer"  # only customer turns
            elif number % 10 == 1:
                speaker = "agent"  # only agent turns
            else:
                speaker = SIDES[seq % 2]
            rows.append((f"ix-{number:03d}", seq * 10, speaker, rng.choice(texts[speaker])))
    frame = pd.DataFrame(rows, columns=["interaction_id", "seq", "speaker", "text"])
    return frame.sample(frac=1.0, random_state=5).reset_index(drop=True)


@pytest.fixture(scope="module")
def input_folder(utterances: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three files, so the turns of one interaction start out in different partitions."""
    folder = tmp_path_factory.mktemp("utterances")
    for number, start in enumerate(range(0, len(utterances), len(utterances) // 3 + 1)):
        part = utterances.iloc[start : start + len(utterances) // 3 + 1]
        part.to_parquet(folder / f"utterances-{number}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    ) as local:
        yield local


def _expected(classifier: Classifier, utterances: pd.DataFrame) -> dict[str, object]:
    """What the single-transcript analysis says, interaction by interaction."""
    out = {}
    for ident, rows in utterances.groupby("interaction_id"):
        ordered = rows.sort_values("seq")
        turns = [Turn(row.speaker, row.text) for row in ordered.itertuples()]
        out[str(ident)] = analyze(classifier, turns, lang="en")
    return out


def _assert_same(actual: pd.DataFrame, expected: dict[str, object]) -> None:
    assert sorted(actual["interaction_id"]) == sorted(expected)
    for row in actual.to_dict("records"):
        analysis = expected[row["interaction_id"]]
        assert _value(row["customer_preference"]) == analysis.customer_preference
        assert _value(row["agent_style"]) == analysis.agent_style
        assert row["matched"] == analysis.matched
        for side, probabilities in (
            ("customer", analysis.customer_probabilities),
            ("agent", analysis.agent_probabilities),
        ):
            for label in LABELS:
                got = row[f"{side}_p_{label}"]
                if probabilities is None:
                    assert math.isnan(got)
                else:
                    assert got == pytest.approx(probabilities[label], abs=1e-9)
        if analysis.match_score is None:
            assert math.isnan(row["match_score"])
        else:
            assert row["match_score"] == pytest.approx(analysis.match_score, abs=1e-9)


def _value(cell: object) -> object:
    return None if cell is pd.NA or cell is None else cell


def _whole_interactions(utterances: pd.DataFrame, files: int) -> list[pd.DataFrame]:
    """The utterances in `files` frames, every interaction whole in one (as exports usually are)."""
    ids = sorted(utterances["interaction_id"].unique())
    return [utterances[utterances["interaction_id"].isin(ids[n::files])] for n in range(files)]


def _assert_scored_as_in_one_process(folder: Path, utterances: pd.DataFrame, classifier: Classifier) -> None:
    """The parts written to `folder` equal score_frame() of all utterances in this process."""
    written = pd.read_parquet(folder).sort_values("interaction_id").reset_index(drop=True)
    single = score_frame(utterances, classifier).sort_values("interaction_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(written, single, check_exact=False, atol=1e-9, rtol=0)


def test_score_frame_equals_transcript_analysis(
    sample_classifier: Classifier, utterances: pd.DataFrame
) -> None:
    scored = score_frame(utterances, sample_classifier)
    assert tuple(scored.columns) == OUTPUT_COLUMNS
    assert len(scored) == utterances["interaction_id"].nunique()
    _assert_same(scored, _expected(sample_classifier, utterances))


def test_one_sided_interactions_have_empty_other_side(sample_classifier: Classifier) -> None:
    rows = pd.DataFrame(
        {
            "interaction_id": ["c", "c", "a"],
            "seq": [2, 1, 1],
            "speaker": ["customer", "customer", "agent"],
            "text": [
                "Can you just fix it today?",
                "Hi there, I hope you are well",
                "I will send the form now.",
            ],
        }
    )
    scored = score_frame(rows, sample_classifier).set_index("interaction_id")
    customer_only, agent_only = scored.loc["c"], scored.loc["a"]
    assert customer_only["customer_preference"] in LABELS
    assert customer_only["agent_style"] is pd.NA
    assert all(math.isnan(customer_only[f"agent_p_{label}"]) for label in LABELS)
    assert math.isnan(customer_only["match_score"]) and not customer_only["matched"]
    assert agent_only["customer_preference"] is pd.NA and agent_only["agent_style"] in LABELS


def test_score_batch_on_a_local_cluster_equals_single_process(
    sample_model_dir: Path,
    sample_classifier: Classifier,
    utterances: pd.DataFrame,
    input_folder: Path,
    cluster: LocalCluster,
    tmp_path: Path,
) -> None:
    report = score_batch(
        input_folder,
        tmp_path / "scored",
        sample_model_dir,
        scheduler=cluster.scheduler_address,
        progress=False,
    )
    assert (report.utterances, report.interactions, report.workers) == (len(utterances), 60, 2)
    parts = sorted((tmp_path / "scored").glob("part.*.parquet"))
    assert parts and all(pq.read_schema(part).remove_metadata() == OUTPUT_SCHEMA for part in parts)
    written = pd.read_parquet(tmp_path / "scored")
    assert tuple(written.columns) == OUTPUT_COLUMNS
    _assert_same(written, _expected(sample_classifier, utterances))
    _assert_scored_as_in_one_process(tmp_path / "scored", utterances, sample_classifier)


def test_interactions_kept_together_in_files_are_scored_without_a_shuffle(
    sample_model_dir: Path,
    sample_classifier: Classifier,
    utterances: pd.DataFrame,
    cluster: LocalCluster,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "by-interaction"
    folder.mkdir()
    for number, chosen in enumerate(_whole_interactions(utterances, 4)):
        chosen.to_parquet(folder / f"part-{number}.parquet", index=False)
    report = score_batch(
        folder, tmp_path / "scored", sample_model_dir, scheduler=cluster.scheduler_address, progress=False
    )
    assert report.partitions == 4  # the files as they are (a shuffle would make 8)
    _assert_scored_as_in_one_process(tmp_path / "scored", utterances, sample_classifier)


def test_cli_scores_on_its_own_local_cluster(
    sample_model_dir: Path, input_folder: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        score_batch_command,
        [
            "--input",
            str(input_folder),
            "--output",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--model-dir",
            str(sample_model_dir),
            "--training-data",
            str(SAMPLE_TRAINING),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Scored 60 interactions" in result.stderr
    assert len(pd.read_parquet(tmp_path / "out")) == 60


def test_cli_names_what_is_wrong_with_the_input(sample_model_dir: Path, tmp_path: Path) -> None:
    cli = CliRunner()
    options = ["--output", str(tmp_path / "out"), "--model-dir", str(sample_model_dir)]

    missing = cli.invoke(score_batch_command, ["--input", str(tmp_path / "nowhere.parquet"), *options])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr

    pd.DataFrame({"interaction_id": ["x"], "words": ["hi"]}).to_parquet(tmp_path / "bad.parquet")
    columns = cli.invoke(score_batch_command, ["--input", str(tmp_path / "bad.parquet"), *options])
    assert columns.exit_code == 1 and "seq, speaker, text" in columns.stderr

    (tmp_path / "junk.parquet").write_text("not parquet at all")
    junk = cli.invoke(score_batch_command, ["--input", str(tmp_path / "junk.parquet"), *options])
    assert junk.exit_code == 1 and "not readable Parquet" in junk.stderr


def test_kept_together_tells_split_interactions_from_whole_ones(
    utterances: pd.DataFrame, tmp_path: Path
) -> None:
    from classifier.batch import _interaction_keys, _kept_together

    ids = sorted(utterances["interaction_id"].unique())
    whole, split = tmp_path / "whole", tmp_path / "split"
    whole.mkdir()
    split.mkdir()
    for number, chosen in enumerate(_whole_interactions(utterances, 4)):
        chosen.to_parquet(whole / f"part-{number}.parquet", index=False)
        utterances.iloc[number::4].to_parquet(split / f"part-{number}.parquet", index=False)
    keys = [_interaction_keys(str(path)) for path in sorted(whole.iterdir())]
    assert sum(map(len, keys)) == len(ids)
    assert _kept_together(keys)
    assert not _kept_together([_interaction_keys(str(path)) for path in sorted(split.iterdir())])


def test_an_interaction_straddling_two_of_many_files_is_scored_whole(
    sample_model_dir: Path,
    sample_classifier: Classifier,
    utterances: pd.DataFrame,
    cluster: LocalCluster,
    tmp_path: Path,
) -> None:
    """Eight files, every interaction in one file but one whose turns are in the first two.

    (An id check on Dask's id-only projection of the input once missed this: Dask fused the
    eight files into fewer partitions for that projection than it scored.)"""
    folder = tmp_path / "eight"
    folder.mkdir()
    ids = sorted(utterances["interaction_id"].unique())
    straddler = utterances[utterances["interaction_id"] == ids[0]].sort_values("seq")
    assert len(straddler) >= 2
    for number, chosen in enumerate(_whole_interactions(utterances, 8)):
        chosen = chosen[chosen["interaction_id"] != ids[0]]
        if number < 2:
            chosen = pd.concat([chosen, straddler.iloc[number::2]])
        chosen.to_parquet(folder / f"part-{number}.parquet", index=False)
    score_batch(
        folder, tmp_path / "scored", sample_model_dir, scheduler=cluster.scheduler_address, progress=False
    )
    _assert_scored_as_in_one_process(tmp_path / "scored", utterances, sample_classifier)


def test_files_are_read_as_stored_columns_not_as_a_pandas_index(
    sample_model_dir: Path,
    sample_classifier: Classifier,
    utterances: pd.DataFrame,
    cluster: LocalCluster,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "indexed"
    folder.mkdir()
    for number, chosen in enumerate(_whole_interactions(utterances, 4)):  # from frames indexed by id
        chosen.set_index("interaction_id", drop=False).rename_axis("ix").to_parquet(
            folder / f"p{number}.parquet"
        )
    score_batch(
        folder, tmp_path / "scored", sample_model_dir, scheduler=cluster.scheduler_address, progress=False
    )
    _assert_scored_as_in_one_process(tmp_path / "scored", utterances, sample_classifier)


def test_local_workers_keep_large_blocks_on_the_heap_and_do_not_profile() -> None:
    import os

    import dask
    from distributed import Client

    from classifier.batch import WORKER_MALLOC, local_cluster

    with local_cluster(1) as cluster, Client(cluster) as client:
        seen = client.run(lambda: {name: os.environ.get(name) for name in WORKER_MALLOC})
        profiling = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert list(seen.values()) == [WORKER_MALLOC]
    assert list(profiling.values()) == [False]
