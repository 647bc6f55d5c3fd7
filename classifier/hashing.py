"""Hashed word and character n-grams, computed for a whole batch of texts at once in numpy.

scikit-learn's HashingVectorizer builds every n-gram as a Python string and hashes it one
by one; on a 5 KB transcript that is ~10,000 strings and most of the cost of scoring it.
Here a batch of texts becomes one array of code points, and every n-gram's hash is a few
vector operations over that array, so the cost per character is a few nanoseconds.

What the features are (the same definitions as scikit-learn's analyzers, up to the hash):
- words: lowercased tokens of two or more word characters (`\\w\\w+`), as unigrams and
  bigrams of neighbouring tokens;
- chars: lowercased n-grams inside whitespace-separated chunks padded with one space
  on each side ("char_wb"): no n-gram spans a space, except its first and last character.

Each n-gram also keeps its position in the text, so the cue explainer can say which word
a feature came from without hashing anything a second time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

# All arithmetic is on uint32 and wraps modulo 2**32 (numpy does not check array overflow).
_U32 = np.uint32
_MULTIPLIER = _U32(0x9E3779B1)  # odd, so it has an inverse modulo 2**32
_INVERSE = _U32(pow(0x9E3779B1, -1, 2**32))
_MIX_1 = _U32(0x85EBCA6B)
_MIX_2 = _U32(0xC2B2AE35)
_SEED = _U32(0x27D4EB2F)
_TABLE_SIZE = 0x3000  # code points below this are classified by table, the rest one by one


def _character_table() -> tuple[np.ndarray, np.ndarray]:
    """Word and space flags by code point; the last slot stands for "look it up"."""
    characters = [chr(code) for code in range(_TABLE_SIZE - 1)]
    word = np.array([c.isalnum() or c == "_" for c in characters] + [False], dtype=bool)
    space = np.array([c.isspace() for c in characters] + [False], dtype=bool)
    return word, space


_WORD_TABLE, _SPACE_TABLE = _character_table()


@dataclass(frozen=True)
class Encoded:
    """A batch of lowercased texts as one array of code points.

    Text i occupies codes[starts[i] : starts[i] + lengths[i]]; every text is preceded and
    followed by one space, so no n-gram can run from one text into the next.
    """

    codes: np.ndarray  # uint32 code points
    starts: np.ndarray  # int64, where each text begins in codes
    lengths: np.ndarray  # int64
    word: np.ndarray  # bool, \w characters
    space: np.ndarray  # bool, whitespace (and the padding between texts)
    owner: np.ndarray  # int32, the text each position belongs to (padding: the text after it)

    @property
    def n_texts(self) -> int:
        return len(self.starts)


def lowered(text: str) -> str:
    """The text as the features see it: lowercased where that keeps every offset in place."""
    low = text.lower()
    return low if len(low) == len(text) else text


def encode(texts: list[str] | tuple[str, ...]) -> Encoded:
    pieces = [lowered(text) for text in texts]
    lengths = np.fromiter((len(piece) for piece in pieces), dtype=np.int64, count=len(pieces))
    joined = " " + "  ".join(pieces) + " "
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts = np.empty(len(pieces), dtype=np.int64)
    if len(pieces):
        starts[0] = 1
        np.cumsum(lengths[:-1] + 2, out=starts[1:])
        starts[1:] += 1
    index = np.minimum(codes, _TABLE_SIZE - 1)
    word = _WORD_TABLE.take(index)
    space = _SPACE_TABLE.take(index)
    large = np.flatnonzero(index == _TABLE_SIZE - 1)
    if len(large):
        for code in np.unique(codes[large]).tolist():
            character = chr(code)
            where = large[codes[large] == code]
            word[where] = character.isalnum() or character == "_"
            space[where] = character.isspace()
    if not (codes[space] == 32).all():
        codes = codes.copy()  # every kind of whitespace pads a chunk as a plain space
        codes[space] = 32
    owner = np.repeat(np.arange(len(pieces), dtype=np.int32), lengths + 2)
    owner = np.r_[owner[1:], max(len(pieces) - 1, 0)] if len(owner) else np.zeros(len(codes), np.int32)
    return Encoded(codes=codes, starts=starts, lengths=lengths, word=word, space=space, owner=owner)


@dataclass(frozen=True)
class Ngrams:
    """Every n-gram of a batch: which text, which feature, and its span in Encoded.codes."""

    text: np.ndarray  # int index of the text
    feature: np.ndarray  # int feature index
    start: np.ndarray  # int position in Encoded.codes (may be the padding before a text)
    end: np.ndarray  # int, exclusive (may be the padding after it)
    unigram: np.ndarray  # bool: a single word (words only; all False for characters)


def _mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, in place: every input bit affects every output bit."""
    h ^= h >> _U32(16)
    h *= _MIX_1
    h ^= h >> _U32(13)
    h *= _MIX_2
    h ^= h >> _U32(16)
    return h


def _bucket(hashes: np.ndarray, n_features: int) -> np.ndarray:
    if n_features & (n_features - 1) == 0:  # a power of two: a mask is cheaper than a modulo
        return (hashes & _U32(n_features - 1)).astype(np.int32)
    return (hashes % _U32(n_features)).astype(np.int32)


def char_ngrams(encoded: Encoded, ngram_range: tuple[int, int], n_features: int) -> list[Ngrams]:
    """Per n, the n-grams inside whitespace chunks padded with one space (as "char_wb")."""
    codes, space = encoded.codes, encoded.space
    size = len(codes)
    parts: list[Ngrams] = []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        count = size - n + 1
        if count <= 0:
            continue
        # No space inside; first and last may be the padding around a chunk. That also keeps
        # every n-gram within one text, since two spaces separate the texts.
        valid = np.ones(count, dtype=bool)
        for inner in range(1, n - 1):
            valid &= ~space[inner : inner + count]
        if n <= 2:  # too short to have an inside: at least one end must be a character
            valid &= ~(space[:count] & space[n - 1 : n - 1 + count])
        # hash every position with contiguous slices (cheap), then keep the valid ones
        h = codes[:count] + _U32(n) * _SEED
        for offset in range(1, n):
            h *= _MULTIPLIER
            h += codes[offset : offset + count]
        positions = np.flatnonzero(valid)
        # the second character of an n-gram always belongs to its text (the first may be padding)
        parts.append(
            Ngrams(
                encoded.owner[positions + 1],
                _bucket(_mix(h[positions]), n_features),
                positions,
                positions + n,
                np.zeros(len(positions), dtype=bool),
            )
        )
    return parts


def word_ngrams(encoded: Encoded, ngram_range: tuple[int, int], n_features: int) -> list[Ngrams]:
    """Tokens of two or more word characters; unigrams and/or bigrams of neighbouring tokens."""
    word = encoded.word
    size = len(word)
    previous = np.r_[False, word[:-1]]
    following = np.r_[word[1:], False]
    token_starts = np.flatnonzero(word & ~previous)
    token_ends = np.flatnonzero(word & ~following) + 1
    keep = token_ends - token_starts >= 2
    token_starts, token_ends = token_starts[keep], token_ends[keep]
    # Polynomial hash of each token from prefix sums: sum c_j * M**(j - start), mod 2**32.
    powers = _powers(_MULTIPLIER, size)
    prefix = np.zeros(size + 1, dtype=np.uint32)
    np.cumsum(encoded.codes * powers[:size], out=prefix[1:])
    raw = (prefix[token_ends] - prefix[token_starts]) * _powers(_INVERSE, size)[token_starts]
    # the length goes in too, so "ab" and "ab\0" differ; then mixed
    token_hash = _mix(raw + (token_ends - token_starts).astype(np.uint32) * _SEED)
    texts = encoded.owner[token_starts]
    low, high = ngram_range
    parts: list[Ngrams] = []
    if low <= 1 <= high:
        unigrams = _bucket(token_hash, n_features)
        parts.append(Ngrams(texts, unigrams, token_starts, token_ends, np.ones(len(texts), dtype=bool)))
    if low <= 2 <= high and len(texts) > 1:
        first = np.flatnonzero(texts[1:] == texts[:-1])
        second = first + 1
        bigram = _mix(token_hash[first] * _MULTIPLIER + token_hash[second] + _SEED)
        parts.append(
            Ngrams(
                texts[first],
                _bucket(bigram, n_features),
                token_starts[first],
                token_ends[second],
                np.zeros(len(first), dtype=bool),
            )
        )
    return parts


def _powers(base: np.uint32, size: int) -> np.ndarray:
    """base**0 … base**size modulo 2**32."""
    powers = np.empty(size + 1, dtype=np.uint32)
    powers[0] = 1
    powers[1:] = base
    return np.cumprod(powers, out=powers)


def count_matrix(
    parts: list[Ngrams], n_texts: int, n_features: int, offsets: list[int] | None = None
) -> sparse.csr_matrix:
    """Counts per (text, feature) as a canonical CSR matrix (sorted, no duplicates); part i's
    features are shifted by offsets[i] (several hashers side by side in one matrix)."""
    if not parts:
        return sparse.csr_matrix((n_texts, n_features), dtype=np.float32)
    offsets = offsets or [0] * len(parts)
    columns = [
        part.feature + offset if offset else part.feature for part, offset in zip(parts, offsets, strict=True)
    ]
    matrix = sparse.csr_matrix(
        (
            np.ones(sum(len(c) for c in columns), dtype=np.float32),
            (np.concatenate([part.text for part in parts]), np.concatenate(columns)),
        ),
        shape=(n_texts, n_features),
    )
    matrix.sum_duplicates()  # sorts each row's indices and adds the repeats up
    return matrix


class NgramHasher(TransformerMixin, BaseEstimator):
    """Stateless: texts in, hashed n-gram counts out (a drop-in for HashingVectorizer with
    alternate_sign=False, norm=None, lowercase=True)."""

    def __init__(
        self, analyzer: str = "word", ngram_range: tuple[int, int] = (1, 2), n_features: int = 2**18
    ):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.n_features = n_features

    def fit(self, X: object, y: object = None) -> NgramHasher:  # noqa: N803 (scikit-learn's names)
        if self.analyzer not in ("word", "char"):
            raise ValueError(f"analyzer must be 'word' or 'char', not {self.analyzer!r}")
        return self

    def ngrams(self, encoded: Encoded) -> list[Ngrams]:
        """The batch's n-grams, in pieces (one per n): joining them would only copy."""
        if self.analyzer == "word":
            return word_ngrams(encoded, tuple(self.ngram_range), self.n_features)
        return char_ngrams(encoded, tuple(self.ngram_range), self.n_features)

    def transform(self, X: list[str]) -> sparse.csr_matrix:  # noqa: N803
        if isinstance(X, str):
            raise ValueError("NgramHasher takes a list of texts, not one string")
        encoded = encode(list(X))
        return count_matrix(self.ngrams(encoded), encoded.n_texts, self.n_features)

    def __sklearn_tags__(self):  # noqa: ANN204 (scikit-learn's tag type)
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
