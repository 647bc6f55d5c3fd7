"""Batch scoring on Dask: utterance rows in, one row per interaction out, Parquet to Parquet."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pa_dataset
import pyarrow.parquet as pq

from classifier import persistence
from classifier.analysis import combine_groups, match_scores
from classifier.labels import LABELS, SIDES
from classifier.predict import Classifier

INPUT_COLUMNS = ("interaction_id", "seq", "speaker", "text")
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("interaction_id", pa.string(), nullable=False),
        pa.field("customer_preference", pa.string()),
        *(pa.field(f"customer_p_{label}", pa.float64()) for label in LABELS),
        pa.field("agent_style", pa.string()),
        *(pa.field(f"agent_p_{label}", pa.float64()) for label in LABELS),
        pa.field("match_score", pa.float64()),
        pa.field("matched", pa.bool_(), nullable=False),
    ]
)
OUTPUT_COLUMNS = tuple(OUTPUT_SCHEMA.names)
_PANDAS_TYPES = {
    pa.string(): pd.StringDtype(),
    pa.float64(): np.dtype("float64"),
    pa.bool_(): np.dtype("bool"),
}
OUTPUT_DTYPES = {field.name: _PANDAS_TYPES[field.type] for field in OUTPUT_SCHEMA}


class BatchError(ValueError):
    """An input that cannot be scored: missing, unreadable, or without the required columns."""


@dataclass(frozen=True)
class BatchReport:
    utterances: int
    interactions: int
    partitions: int
    workers: int
    seconds: float


def empty_output() -> pd.DataFrame:
    """The output's explicit schema as an empty frame: the `meta` of the Dask graph."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in OUTPUT_DTYPES.items()})


def score_frame(df: pd.DataFrame, classifier: Classifier) -> pd.DataFrame:
    """Score utterance rows into one row per interaction, with exactly OUTPUT_COLUMNS.

    Turns are ordered by `seq` and combined per side as analysis.analyze does (the same
    combine_groups and match_scores, so the figures equal a single transcript's analysis),
    but for all interactions of the frame at once. Rows whose speaker is not
    customer/agent or whose text is empty are not turns, as in the parsers.
    """
    missing = [name for name in INPUT_COLUMNS if name not in df.columns]
    if missing:
        raise BatchError(f"input lacks the column(s): {', '.join(missing)}")
    frame = pd.DataFrame(
        {
            "interaction_id": df["interaction_id"].astype(str).to_numpy(dtype=object),
            "seq": df["seq"].to_numpy(),
            "speaker": df["speaker"].astype(str).str.strip().str.lower().to_numpy(dtype=object),
            "text": df["text"].fillna("").astype(str).str.strip().to_numpy(dtype=object),
        }
    ).sort_values(["interaction_id", "seq"], kind="stable")
    if frame.empty:
        return empty_output()
    ids = pd.unique(frame["interaction_id"])
    index = pd.Index(ids)
    combined: dict[str, np.ndarray] = {}
    for side in SIDES:
        turns = frame[(frame["speaker"] == side) & (frame["text"] != "")]
        texts: list[str] = turns["text"].tolist()
        rows = classifier.probabilities(texts, side)
        groups = index.get_indexer(turns["interaction_id"])
        combined[side] = combine_groups(rows, texts, groups, len(ids))
    customer, agent = combined["customer"], combined["agent"]
    out = pd.DataFrame({"interaction_id": ids})
    for side, rows in combined.items():
        has = ~np.isnan(rows[:, 0])
        top = np.array(LABELS, dtype=object)[np.nan_to_num(rows, nan=0.0).argmax(axis=1)]
        out[OUTPUT_COLUMNS[1] if side == "customer" else "agent_style"] = np.where(has, top, None)
        for column, label in enumerate(LABELS):
            out[f"{side}_p_{label}"] = rows[:, column]
    out["match_score"] = match_scores(customer, agent)
    out["matched"] = out["customer_preference"].notna() & (out["customer_preference"] == out["agent_style"])
    return out[list(OUTPUT_COLUMNS)].astype(OUTPUT_DTYPES)


# One Classifier per worker process and model folder: loaded by the first task, reused after.
_models: dict[str, Classifier] = {}


def worker_classifier(model_dir: str) -> Classifier:
    if model_dir not in _models:
        _models[model_dir] = Classifier.load(Path(model_dir))
    return _models[model_dir]


def _load_on_worker(model_dir: str) -> str:
    return worker_classifier(model_dir).version


def _score_partition(df: pd.DataFrame, model_dir: str) -> pd.DataFrame:
    if df.empty:
        return empty_output()
    return score_frame(df, worker_classifier(model_dir))


def _write_part(df: pd.DataFrame, path: str) -> int:
    table = pa.Table.from_pandas(df, schema=OUTPUT_SCHEMA, preserve_index=False)
    pq.write_table(table, path)
    return table.num_rows


def _interaction_keys(path: str) -> np.ndarray:
    """The distinct interaction ids of one input file as 64-bit hashes: what the check moves
    instead of the ids (the ids as score_frame sees them, so both group alike)."""
    ids = pc.unique(pq.read_table(path, columns=["interaction_id"], use_threads=False).column(0))
    text = pd.Series(ids.to_pandas()).astype(str).to_numpy(dtype=object)
    return pd.util.hash_array(text, categorize=False)


def _kept_together(keys: list[np.ndarray]) -> bool:
    """Whether no interaction appears in two files, from each file's distinct id hashes.

    A collision of two ids' hashes can only say "split" wrongly, which costs a shuffle, never
    a wrong score.
    """
    together = np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)
    return len(np.unique(together)) == len(together)


def _read_file(path: str) -> pd.DataFrame:
    # One thread: the worker's single task thread is its share of the cores (pyarrow's own
    # pool would start one thread per core in every worker).
    table = pq.read_table(path, columns=list(INPUT_COLUMNS), use_threads=False)
    return table.to_pandas(ignore_metadata=True)  # a stored pandas index must not swallow a column


def _score_file(path: str, model_dir: str, output: str) -> int:
    """Read one input file, score it, write its part: a whole unit of work on one worker."""
    return _write_part(_score_partition(_read_file(path), model_dir), output)


def input_files(input_path: Path) -> list[str]:
    """The Parquet files of an input file or folder, in the order Dask reads them."""
    source = pa_dataset.dataset(str(input_path), format="parquet")
    return [fragment.path for fragment in source.get_fragments()]


# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off
# glibc's adaptive mmap threshold: every numpy temporary over 128 KB is then mapped and
# unmapped anew, and scoring ran at half speed (1.56 against 0.93 ms CPU per 5 KB
# transcript). Workers started by score-batch keep large blocks on the heap instead;
# workers of an existing cluster should be started with the same two variables.
WORKER_MALLOC = {
    "MALLOC_MMAP_THRESHOLD_": str(64 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20),
}


def local_cluster(workers: int | None) -> Any:
    """A LocalCluster of `workers` single-threaded process workers (None: one per core)."""
    import dask
    from distributed import LocalCluster

    settings = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_MALLOC.items()}
    # The statistical profiler samples each worker's task thread every 10 ms for a dashboard
    # that score-batch does not serve; with both cores scoring, its CPU comes out of theirs.
    settings["distributed.worker.profile.enabled"] = False
    with dask.config.set(settings):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,  # the shuffle logs its start and end as warnings
            # also after the spawn: wins over a value this process inherited; one encoder
            # thread per worker, as there is one worker per core
            env={**WORKER_MALLOC, "MATCHPOINT_ENCODER_THREADS": "1"},
        )


def check_input(input_path: Path) -> int:
    """The input's number of rows, or BatchError naming what is wrong with it."""
    if not input_path.exists():
        raise BatchError(f"input {input_path} does not exist")
    try:
        source = pa_dataset.dataset(str(input_path), format="parquet")
        schema = source.schema
        rows = source.count_rows()
    except (pa.ArrowException, OSError) as error:
        raise BatchError(f"input {input_path} is not readable Parquet ({error})") from error
    missing = [name for name in INPUT_COLUMNS if name not in schema.names]
    if missing:
        raise BatchError(
            f"input {input_path} lacks the column(s) {', '.join(missing)}; "
            f"required: {', '.join(INPUT_COLUMNS)}"
        )
    return rows


def score_batch(
    input_path: Path | str,
    output_path: Path | str,
    model_dir: Path | str,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> BatchReport:
    """Score a Parquet file or folder of utterances on Dask; write a folder of Parquet parts.

    A local cluster of process workers by default, the cluster at `scheduler` otherwise (its
    workers need this package installed and `model_dir` at the same path).
    All turns of one interaction must be scored together: when no interaction appears in two
    input files (checked), each file is scored as it is, one task per file; otherwise the
    rows are shuffled by interaction_id first.
    """
    # Dask is imported here, not at the top: the other commands should not pay for it.
    from distributed import Client, as_completed
    from tqdm import tqdm

    input_path, output_path, model_dir = Path(input_path), Path(output_path), Path(model_dir).resolve()
    n_utterances = check_input(input_path)
    files = input_files(input_path)
    started = time.perf_counter()
    cluster = None
    if scheduler is None:
        cluster = local_cluster(workers)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler} ({error})") from error
    try:
        n_workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        # Load the model on every worker before the work starts: one load per process, and
        # a broken model fails here with its own message instead of inside a task.
        try:
            client.run(_load_on_worker, str(model_dir))
        except persistence.ModelError as error:
            raise BatchError(str(error)) from error
        output_path.mkdir(parents=True, exist_ok=True)
        for stale in output_path.glob("part.*.parquet"):
            stale.unlink()
        whole = len(files) >= 2 * n_workers and _kept_together(
            client.gather(client.map(_interaction_keys, files))
        )
        if whole:
            # Exported an interaction per file or batch: no shuffle. One task per file, and
            # files are handed to workers as they become free.
            parts = [str(output_path / f"part.{i:05d}.parquet") for i in range(len(files))]
            futures = client.map(_score_file, files, [str(model_dir)] * len(files), parts, pure=False)
        else:
            futures = _shuffled(client, input_path, output_path, model_dir, n_workers)
        interactions = 0
        with tqdm(
            total=len(futures), desc="score-batch", unit="part", file=sys.stderr, disable=not progress
        ) as bar:
            for future in as_completed(futures):
                interactions += future.result()
                bar.update()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return BatchReport(
        utterances=n_utterances,
        interactions=interactions,
        partitions=len(futures),
        workers=n_workers,
        seconds=round(time.perf_counter() - started, 3),
    )


def _shuffled(client: Any, input_path: Path, output_path: Path, model_dir: Path, n_workers: int) -> list[Any]:
    """Futures of the written parts when interactions straddle files: shuffle by id, score, write."""
    import dask.dataframe as dd
    from dask import delayed

    utterances = dd.read_parquet(str(input_path), columns=list(INPUT_COLUMNS))
    n_parts = max(utterances.npartitions, 4 * n_workers)
    grouped = utterances.shuffle(on="interaction_id", npartitions=n_parts)
    scored = grouped.map_partitions(_score_partition, str(model_dir), meta=empty_output())
    parts = [str(output_path / f"part.{i:05d}.parquet") for i in range(scored.npartitions)]
    writes = [delayed(_write_part)(part, path) for part, path in zip(scored.to_delayed(), parts, strict=True)]
    return client.compute(writes)
