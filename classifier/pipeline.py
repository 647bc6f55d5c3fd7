"""The one scikit-learn Pipeline, built from one frozen parameter object."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

RANDOM_STATE = 20261122


@dataclass(frozen=True)
class PipelineParams:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 2
    max_char_features: int = 150_000
    C: float = 8.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def build_pipeline(params: PipelineParams = PipelineParams()) -> Pipeline:
    """Word and character n-gram TF-IDF into a multinomial logistic regression."""
    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=params.word_ngrams,
                    min_df=params.min_df,
                    sublinear_tf=True,
                    lowercase=True,
                    token_pattern=r"(?u)\b\w\w+\b",
                    dtype=np.float32,
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=params.char_ngrams,
                    min_df=params.min_df,
                    max_features=params.max_char_features,
                    sublinear_tf=True,
                    lowercase=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    model = LogisticRegression(C=params.C, max_iter=2000, random_state=RANDOM_STATE)
    return Pipeline([("features", features), ("model", model)])

