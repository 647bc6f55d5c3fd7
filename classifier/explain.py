"""Cues: the words of a text that pushed the classifier's decision, and where they stand."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.pipeline import Pipeline

from classifier.hashing import Encoded, Ngrams, encode
from classifier.pipeline import ngram_parts
from classifier.stopwords import CALENDAR, STOPWORDS

_CORE = re.compile(r"\w(?:.*\w)?", re.DOTALL)
CUE_SHARE = 0.2  # a word is a cue when it pushes at least this share of the strongest one


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    preference: str
    weight: float  # 0–1, relative to the strongest cue in the same text


class CueExplainer:
    """Attributes a linear model's decision to the words of the text.

    Only the n-grams are attributed: the sentence embedding moves the decision as a whole
    and names no word. Each feature's contribution is its TF-IDF value times its
    coefficient, centred across the classes so that it says which preference the feature
    pulls toward. Every n-gram carries its span (classifier.hashing), so a feature is
    credited to the whitespace chunk it came from; a bigram half to each of its words; a
    feature that occurs several times shares its value among its occurrences.
    """

    def __init__(self, pipeline: Pipeline, labels: tuple[str, ...]) -> None:
        model = pipeline.named_steps["model"]
        self.hashers_ = [part.named_steps["hash"] for part in ngram_parts(pipeline)]
        self.labels = labels
        order = [list(model.classes_).index(label) for label in labels]
        width = sum(hasher.n_features for hasher in self.hashers_)
        coef = model.coef_[order][:, :width]  # the n-grams' columns; the embedding's follow
        # (features × labels), so one fancy-index gathers every credited feature's row
        self.centred_ = np.ascontiguousarray((coef - coef.mean(axis=0)).T.astype(np.float32))
        words = self.hashers_[0]
        # A hashed feature that never occurred in training keeps a zero coefficient.
        known = np.abs(coef[:, : words.n_features]).max(axis=0) > 0
        stop = np.zeros(words.n_features, dtype=bool)
        for piece in words.ngrams(encode(sorted(STOPWORDS))):
            stop[piece.feature[piece.unigram]] = True
        self.content_ = known & ~stop  # word features that count as evidence
        # where each part's features begin in the model's feature space
        self.starts_ = np.cumsum([0] + [hasher.n_features for hasher in self.hashers_[:-1]]).tolist()

    def ngrams(self, encoded: Encoded) -> tuple[list[Ngrams], list[int]]:
        """Every part's n-grams of a batch in pieces, and where each piece's feature space
        begins in the model's (words first, then characters)."""
        pieces: list[Ngrams] = []
        offsets: list[int] = []
        for hasher, start in zip(self.hashers_, self.starts_, strict=True):
            found = hasher.ngrams(encoded)
            pieces.extend(found)
            offsets.extend([start] * len(found))
        return pieces, offsets

    def evidence(self, pieces: list[Ngrams], n_texts: int) -> np.ndarray:
        """Per text, how many known content words it has (stop words do not count)."""
        counts = np.zeros(n_texts, dtype=np.int64)
        for piece in pieces:
            if piece.unigram.all() and len(piece.unigram):
                counts += np.bincount(piece.text[self.content_[piece.feature]], minlength=n_texts)
        return counts

    def cues(
        self,
        texts: Sequence[str],
        encoded: Encoded,
        pieces: list[Ngrams],
        offsets: list[int],
        features: sparse.csr_matrix,
        counts: np.ndarray,
        limit: int = 8,
    ) -> list[list[Span]]:
        """The cues of every text of a batch, in one pass of array operations.

        `features` holds the TF-IDF values the model saw, `counts` (aligned with its data)
        how often each feature occurred in its text. Only picking each text's strongest
        words is a loop, and it stops at `limit`.
        """
        found: list[list[Span]] = [[] for _ in texts]
        space = encoded.space
        after_space = np.empty_like(space)
        after_space[0], after_space[1:] = True, space[:-1]
        begins = ~space & after_space
        chunk_starts = np.flatnonzero(begins)
        if not len(chunk_starts) or not features.nnz:
            return found
        before_space = np.empty_like(space)
        before_space[-1], before_space[:-1] = True, space[1:]
        chunk_ends = np.flatnonzero(~space & before_space) + 1
        chunk_of = np.cumsum(begins) - 1  # a space belongs to the chunk before it
        feature = np.concatenate([p.feature + o for p, o in zip(pieces, offsets, strict=True)])
        text = np.concatenate([p.text for p in pieces]).astype(np.int64)
        start = np.concatenate([p.start for p in pieces])
        end = np.concatenate([p.end for p in pieces])
        # each n-gram's entry in the feature matrix: its value, shared among its occurrences
        width = features.shape[1]
        rows = np.repeat(np.arange(features.shape[0], dtype=np.int64), np.diff(features.indptr))
        entry = np.searchsorted(rows * width + features.indices, text * width + feature)
        share = features.data[entry] / counts[entry]
        first = chunk_of[start + space[start]]  # a char n-gram may begin on the padding
        last = chunk_of[end - 1]
        two = first != last  # a bigram: half to each of its words
        share = np.where(two, 0.5 * share, share)
        pull = self.centred_[feature] * share[:, None]
        n_chunks = len(chunk_starts)
        pushes = np.empty((n_chunks, len(self.labels)))
        for column in range(len(self.labels)):
            pushes[:, column] = np.bincount(first, pull[:, column], n_chunks) + np.bincount(
                last[two], pull[two, column], n_chunks
            )
        strength = pushes.max(axis=1)
        best = pushes.argmax(axis=1)
        owner = encoded.owner[chunk_starts]
        candidates = np.flatnonzero(strength > 0)
        order = candidates[np.lexsort((-strength[candidates], owner[candidates]))]
        bounds = np.searchsorted(owner[order], np.arange(len(texts) + 1)).tolist()
        order_list, strength_list, best_list = order.tolist(), strength.tolist(), best.tolist()
        relative_starts = (chunk_starts - encoded.starts[owner]).tolist()
        relative_ends = (chunk_ends - encoded.starts[owner]).tolist()
        for i, text_i in enumerate(texts):
            spans = found[i]
            top = 0.0
            for chunk in order_list[bounds[i] : bounds[i + 1]]:
                value = strength_list[chunk]
                if (top and value < CUE_SHARE * top) or len(spans) >= limit:
                    break
                core = _CORE.search(text_i, relative_starts[chunk], relative_ends[chunk])
                if core is None or not _may_be_cue(text_i, core):
                    continue
                top = top or value
                spans.append(
                    Span(
                        text=core.group(),
                        start=core.start(),
                        end=core.end(),
                        preference=self.labels[best_list[chunk]],
                        weight=round(value / top, 2),
                    )
                )
            found[i] = _phrases(text_i, spans)
        return found


_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")  # letters only: no numbers, ids, links, e-mails
_SENTENCE_END = frozenset(".!?:;\"'»”(\n")


def _may_be_cue(text: str, core: re.Match[str]) -> bool:
    """A word a person would underline: not a stop word, weekday, month, number, id, link,
    @handle or name (a capitalised word inside a sentence; in da, sv and en only names
    are capitalised there)."""
    word = core.group()
    if not _WORD.fullmatch(word) or word.lower() in STOPWORDS or word.lower() in CALENDAR:
        return False
    before = text[: core.start()].rstrip(" \t")
    if before.endswith(("@", "#")):
        return before.endswith("#")  # a hashtag may carry a cue (#nedbrud), a handle never does
    inside_sentence = bool(before) and before[-1] not in _SENTENCE_END
    return not (inside_sentence and word[0].isupper() and not word.isupper())


def _phrases(text: str, spans: list[Span]) -> list[Span]:
    """Neighbouring cue words that pull the same way become one phrase ("still waiting")."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        last = merged[-1] if merged else None
        if last and last.preference == span.preference and not text[last.end : span.start].strip():
            merged[-1] = Span(
                text=text[last.start : span.end],
                start=last.start,
                end=span.end,
                preference=span.preference,
                weight=max(last.weight, span.weight),
            )
        else:
            merged.append(span)
    return sorted(merged, key=lambda s: -s.weight)
