"""The one scikit-learn Pipeline, built from one frozen parameter object."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from classifier.hashing import NgramHasher
from classifier.meaning import SentenceEmbedder

RANDOM_STATE = 20261122


@dataclass(frozen=True)
class PipelineParams:
    word_ngrams: tuple[int, int] = (1, 2)
    # (4, 4): same macro-F1 as (3, 4) within 0.1 point, 1.4× the speed (bench.batch_speed --trade-off)
    char_ngrams: tuple[int, int] | None = (4, 4)  # None: words only (2× faster, 2 points less F1)
    word_features: int = 2**18
    char_features: int = 2**19
    # the e5 sentence embedding's weight beside the n-grams (classifier.meaning); None: n-grams only
    meaning_weight: float | None = 0.05
    C: float = 10.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def build_pipeline(params: PipelineParams = PipelineParams()) -> Pipeline:
    """Hashed word and character n-grams, TF-IDF weighted, and the text's sentence embedding,
    into one multinomial logistic regression.

    The n-grams carry the words that mark a preference (and name them as cues); the
    embedding carries what a text means when its words are not ones the training data
    used, which is most of what real customers write (docs/model-card.md).

    Hashing keeps no vocabulary, so model files stay small and fast to save and load. The
    hashing is classifier.hashing's, vectorised over a whole batch: scikit-learn's
    HashingVectorizer builds each n-gram as a Python string, which made long transcripts
    five times slower to score.
    """
    parts = [("words", _hashed_tfidf("word", params.word_ngrams, params.word_features))]
    if params.char_ngrams is not None:
        parts.append(("chars", _hashed_tfidf("char", params.char_ngrams, params.char_features)))
    if params.meaning_weight is not None:
        parts.append(("meaning", SentenceEmbedder(weight=params.meaning_weight)))
    features = FeatureUnion(parts)
    model = LogisticRegression(C=params.C, max_iter=2000, random_state=RANDOM_STATE)
    return Pipeline([("features", features), ("model", model)])


def _hashed_tfidf(analyzer: str, ngrams: tuple[int, int], n_features: int) -> Pipeline:
    return Pipeline(
        [
            ("hash", NgramHasher(analyzer=analyzer, ngram_range=ngrams, n_features=n_features)),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    )


def ngram_parts(pipeline: Pipeline) -> list[Pipeline]:
    """The fitted pipeline's hash → TF-IDF parts, in feature order (their columns come first)."""
    union = pipeline.named_steps["features"]
    return [part for _, part in union.transformer_list if isinstance(part, Pipeline)]


def sentence_embedder(pipeline: Pipeline) -> SentenceEmbedder | None:
    """The fitted embedding part (its columns come after the n-grams'), if the model has one."""
    union = pipeline.named_steps["features"]
    found = [part for _, part in union.transformer_list if isinstance(part, SentenceEmbedder)]
    return found[0] if found else None
