"""Pure statistics of coaching: NPS with honest intervals, the match effect, agent funnels.

No Flask, no SQLAlchemy, no database: every function takes a pandas DataFrame of
interactions (or counts the database has already aggregated) and returns plain Python
values that `json.dumps` accepts.

Input: one row per interaction with `interaction_id`, `agent_id`, `team` (or None),
`touchpoint`, `topic` (None counts as "unknown"), `started_at` (UTC; naive means UTC),
`customer_preference` and `agent_style` (label or None), `matched` (bool or None) and
`score` (0-10, NaN when the customer did not answer the survey).

Notation. In one group of answers there are P promoters (9-10), A passives (7-8) and
D detractors (0-6), n = P + A + D. Coding each answer y = +1 / 0 / -1,

    NPS = 100 * (P - D) / n = 100 * mean(y),      n = 0 gives 0.0 and (-100, +100).

1. Interval for one NPS: the adjusted Wald interval that Rocks (2016, "Interval
   estimation for the Net Promoter Score", The American Statistician 70:4) found the
   best of six methods for small samples:

       n~ = n + 3,   p~ = (P + 3/4) / n~,   d~ = (D + 3/4) / n~
       SE = sqrt((p~ + d~ - (p~ - d~)^2) / n~)
       interval = 100 * ((p~ - d~) -/+ z * SE),   z = 1.96 (95 %)

   (p + d - (p - d)^2) / n is the variance of the difference of two shares of one
   multinomial sample, i.e. of mean(y). The pseudo-counts (3/4 promoter, 3/4 detractor,
   3/2 passive) pull the centre towards 0 and keep SE positive when every answer agrees,
   where the plain Wald interval collapses to a point. In our simulation (45 trinomials,
   20,000 samples each) its mean coverage was 0.95 for n = 5...100 with a worst case of
   0.90 at n = 5 and 0.93 at n = 10 (plain Wald: 0.81 / 0.55 and 0.88 / 0.78).
   The value reported is the plain NPS; the interval is widened to contain it where the
   two disagree (only at n = 1) and clipped to [-100, +100].

2. Difference of two NPS (a - b; matched minus mismatched): a Welch-type normal
   interval with unequal variances and, as Agresti and Caffo do for two proportions,
   half the one-sample pseudo-counts in each group:

       n~_g = n_g + 3/2,   p~_g = (P_g + 3/8) / n~_g,   d~_g = (D_g + 3/8) / n~_g
       v_g = (p~_g + d~_g - (p~_g - d~_g)^2) / n~_g
       delta~ = (p~_a - d~_a) - (p~_b - d~_b),   SE = sqrt(v_a + v_b)
       interval = 100 * (delta~ -/+ z * SE) clipped to [-200, +200]
       p = 2 * (1 - Phi(|delta~| / SE))

   The estimate is the plain NPS_a - NPS_b. Interval and p-value share delta~ and SE,
   so p < 0.05 exactly when the interval leaves out 0. Simulated coverage from n = 5
   per group: 0.95 on average, worst 0.92 (plain Wald: 0.87, worst 0.74).
   An empty group gives 0.0, (-200, +200) and p = 1.

3. Match effect. naive = NPS(matched) - NPS(mismatched) over all surveyed contacts with
   a known match. adjusted = the coefficient of `matched` in an OLS of 100 * y on
   `matched` plus one dummy per stratum s = touchpoint x topic, fitted within strata
   (Frisch-Waugh-Lovell):

       m'_i = m_i - mean_s(m),   beta = sum(m'_i * y_i) / sum(m'_i^2)

   which is the average of the within-stratum differences weighted by
   n_s * mbar_s * (1 - mbar_s): a stratum with only matched or only mismatched
   contacts carries no weight. Its uncertainty is agent-clustered (CR1 sandwich,
   because one agent's contacts are alike):

       e_i = y_i - ybar_s - beta * m'_i,   u_g = sum over agent g of m'_i * e_i
       Var(beta) = G/(G-1) * (N-1)/(N-K) * sum_g u_g^2 / (sum m'_i^2)^2
       K = 1 + number of strata, G = number of agents, N = number of answers
       interval = beta -/+ t(G-1, 0.975) * SE clipped to [-200, +200]
       p = 2 * P(T(G-1) > |beta / SE|)

   The t reference with G-1 degrees of freedom keeps the interval honest with few
   agents. Everything above only needs per (agent, stratum, matched) counts, so the
   database may aggregate (`match_effect_from_counts`). Not estimable (no stratum with
   both kinds of contact, fewer than two agents, or SE = 0) gives adjusted 0.0,
   (-200, +200) and p = 1.

4. Agent funnel (Spiegelhalter 2005, "Funnel plots for comparing institutional
   performance"): the benchmark is the NPS of the agent's team (the team of most of
   their contacts; everyone in the data when they have none), theta0 = (P0 - D0) / n0
   with per-answer variance s0^2 = P0/n0 + D0/n0 - theta0^2. The agent's limits are
   100 * (theta0 -/+ 3.09 * s0 / sqrt(n_agent)), 99.8 % two-sided (about 3 sigma):
   "above" or "below" when the agent's plain NPS lies outside, "within" otherwise.
   With 50 agents and no real differences about 0.1 false flags are expected; there is
   no correction for over-dispersion. Under `min_n` answers (30) the signal is always
   "within", with enough_data False and a note. Agents are never ranked: the list is
   sorted by agent_id.

Match rate = matched / interactions with a known match (surveys are not needed: it is
the leading indicator); None when there is no such interaction. Weeks are ISO weeks
starting Monday 00:00 UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any, Final

import numpy as np
import pandas as pd

from app.vocabulary import PREFERENCES, TOUCHPOINTS

CONFIDENCE: Final = 0.95
Z: Final = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)  # normal quantile
FUNNEL_Z: Final = NormalDist().inv_cdf(0.999)  # 99.8 % two-sided
MIN_RESPONSES: Final = 30
ADJUSTED_FOR: Final = ("touchpoint", "topic")
UNKNOWN: Final = "unknown"
NOT_ENOUGH_NOTE: Final = "not enough responses yet"
REQUIRED_COLUMNS: Final = (
    "agent_id",
    "touchpoint",
    "started_at",
    "customer_preference",
    "agent_style",
    "matched",
    "score",
)
COUNT_COLUMNS: Final = ("promoters", "passives", "detractors")
# Summed per group: interactions, those with a known match, matched ones, and the answers.
_TALLY: Final = ("interactions", "labelled", "matched", *COUNT_COLUMNS)


@dataclass(frozen=True)
class Estimate:
    """An NPS in points (-100..+100) with its 95 % interval and number of answers."""

    value: float
    ci_low: float
    ci_high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """The estimate as the report's {value, ci_low, ci_high, n}."""
        return asdict(self)


@dataclass(frozen=True)
class Difference:
    """A difference of two NPS in points with its 95 % interval and two-sided p-value."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float


# --- Student's t distribution ---------------------------------------------------------------
# In plain Python rather than scipy.special: importing scipy costs `matchpoint report` more
# start-up time than computing the whole report from the tallies. Tests compare with scipy.


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast only below this point
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 10_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return front * fraction / a


def t_two_tailed(df: float, t: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom."""
    return _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(df: float, probability: float) -> float:
    """The t with P(T <= t) = probability (Newton's method from the normal quantile)."""
    if probability < 0.5:
        return -t_quantile(df, 1.0 - probability)
    target = 2.0 * (1.0 - probability)  # the two-tailed probability beyond the quantile
    log_density = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    t = NormalDist().inv_cdf(probability)
    for _ in range(200):
        density = math.exp(log_density - (df + 1) / 2 * math.log1p(t * t / df))
        step = (t_two_tailed(df, t) - target) / (2.0 * density)  # the tails shrink as t grows
        t += step
        if abs(step) <= 1e-15 * max(1.0, abs(t)):
            break
    return t


# --- NPS from counts: the vectorised core everything else goes through -------------------


def _nps_arrays(
    promoters: Any, passives: Any, detractors: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain NPS, adjusted-Wald interval (points) and n for arrays of counts."""
    p = np.atleast_1d(np.asarray(promoters, dtype=float))
    a = np.atleast_1d(np.asarray(passives, dtype=float))
    d = np.atleast_1d(np.asarray(detractors, dtype=float))
    if (p < 0).any() or (a < 0).any() or (d < 0).any():
        raise ValueError("counts of promoters, passives and detractors cannot be negative")
    n = p + a + d
    value = np.divide(p - d, n, out=np.zeros_like(n), where=n > 0)
    n_adj = n + 3.0
    p_adj = (p + 0.75) / n_adj
    d_adj = (d + 0.75) / n_adj
    centre = p_adj - d_adj
    half = Z * np.sqrt((p_adj + d_adj - centre**2) / n_adj)
    low = np.clip(np.minimum(centre - half, value), -1.0, 1.0)
    high = np.clip(np.maximum(centre + half, value), -1.0, 1.0)
    empty = n == 0
    low = np.where(empty, -1.0, low)
    high = np.where(empty, 1.0, high)
    return 100.0 * value, 100.0 * low, 100.0 * high, n


def nps_from_counts(promoters: int, passives: int, detractors: int) -> Estimate:
    """NPS and its adjusted-Wald interval from counts of promoters, passives, detractors."""
    value, low, high, n = _nps_arrays(promoters, passives, detractors)
    return Estimate(float(value[0]), float(low[0]), float(high[0]), int(n[0]))


def estimates_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Add n, nps, ci_low, ci_high to a frame of promoters/passives/detractors per group."""
    value, low, high, n = _nps_arrays(
        counts["promoters"].to_numpy(), counts["passives"].to_numpy(), counts["detractors"].to_numpy()
    )
    return counts.assign(n=n.astype("int64"), nps=value, ci_low=low, ci_high=high)


def _score_array(scores: Iterable[float | None]) -> np.ndarray:
    """Scores as floats (None and NaN mean no answer); out-of-range scores are refused."""
    if isinstance(scores, pd.Series):
        values = scores.to_numpy(dtype=float, na_value=np.nan)
    elif isinstance(scores, np.ndarray):
        values = scores.astype(float)
    else:
        values = np.asarray(list(scores), dtype=float)
    answered = values[~np.isnan(values)]
    if ((answered < 0) | (answered > 10)).any():
        raise ValueError("NPS scores must lie between 0 and 10")
    return values


def _counts_of(scores: Iterable[float | None]) -> tuple[int, int, int]:
    """Promoters, passives and detractors among answered scores."""
    values = _score_array(scores)
    answered = values[~np.isnan(values)]
    promoters = int((answered >= 9).sum())
    detractors = int((answered <= 6).sum())
    return promoters, len(answered) - promoters - detractors, detractors


def nps(scores: Iterable[float | None]) -> Estimate:
    """NPS of 0-10 scores (NaN or None = no answer) with its adjusted-Wald 95 % interval."""
    return nps_from_counts(*_counts_of(scores))


# --- Difference of two NPS ------------------------------------------------------------------


def difference_from_counts(a: tuple[int, int, int], b: tuple[int, int, int]) -> Difference:
    """NPS(a) - NPS(b) from (promoters, passives, detractors) counts, with interval and p."""
    value_a, *_, n_a = _nps_arrays(*a)
    value_b, *_, n_b = _nps_arrays(*b)
    if n_a[0] == 0 or n_b[0] == 0:
        return Difference(0.0, -200.0, 200.0, 1.0)
    centres, variances = [], []
    for promoters, passives, detractors in (a, b):
        n_adj = promoters + passives + detractors + 1.5
        p_adj = (promoters + 0.375) / n_adj
        d_adj = (detractors + 0.375) / n_adj
        centres.append(p_adj - d_adj)
        variances.append((p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj)
    centre = centres[0] - centres[1]
    se = math.sqrt(variances[0] + variances[1])
    p_value = math.erfc(abs(centre) / se / math.sqrt(2.0))  # both normal tails
    return Difference(
        estimate=float(value_a[0] - value_b[0]),
        ci_low=max(-200.0, 100.0 * (centre - Z * se)),
        ci_high=min(200.0, 100.0 * (centre + Z * se)),
        p_value=min(1.0, p_value),
    )


def difference(a_scores: Iterable[float | None], b_scores: Iterable[float | None]) -> Difference:
    """NPS(a) - NPS(b) in points, Welch-type interval with pseudo-counts, two-sided p."""
    return difference_from_counts(_counts_of(a_scores), _counts_of(b_scores))


# --- From interactions to tallies -------------------------------------------------------------


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Check the columns and derive the counts every tally sums (vectorised).

    Two inputs are accepted: one row per interaction (with `score`), or rows the database
    has already aggregated (with integer `interactions`, `promoters`, `passives` and
    `detractors` per group of the same key columns; `started_at` is then the group's week).
    """
    aggregated = "interactions" in df.columns
    required = [c for c in REQUIRED_COLUMNS if not (aggregated and c in ("score", "interaction_id"))]
    missing = [column for column in required if column not in df.columns]
    if missing:
        raise ValueError(f"interactions lack the column(s): {', '.join(missing)}")
    raw_match = df["matched"]
    labelled = raw_match.notna().to_numpy()
    flag = np.zeros(len(df), dtype=bool)
    flag[labelled] = raw_match.to_numpy()[labelled].astype(bool)
    if aggregated:
        weight = df["interactions"].to_numpy(dtype="int64")
        promoters = df["promoters"].to_numpy(dtype="int64")
        passives = df["passives"].to_numpy(dtype="int64")
        detractors = df["detractors"].to_numpy(dtype="int64")
    else:
        score = _score_array(df["score"])
        weight = np.ones(len(df), dtype="int64")
        promoters, passives, detractors = score >= 9, (score > 6) & (score < 9), score <= 6
    team = df["team"] if "team" in df.columns else pd.Series(None, index=df.index, dtype=object)
    topic = df["topic"] if "topic" in df.columns else pd.Series(None, index=df.index, dtype=object)
    return pd.DataFrame(
        {
            "agent_id": df["agent_id"].astype("category"),
            "team": team.astype("category"),
            "touchpoint": df["touchpoint"].fillna(UNKNOWN).astype("category"),
            "topic": topic.fillna(UNKNOWN).astype("category"),
            "customer_preference": df["customer_preference"].astype("category"),
            "agent_style": df["agent_style"].astype("category"),
            "started_at": df["started_at"],
            "interactions": weight,
            "labelled": weight * labelled,
            "matched": weight * flag,
            "matched_flag": flag,
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
        },
        index=df.index,
    )


def _tally(prepared: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Interactions, known matches, matches and answer counts per group of `keys`."""
    return prepared.groupby(keys, observed=True, sort=True)[list(_TALLY)].sum().astype("int64")


def _totals(prepared: pd.DataFrame) -> pd.Series:
    """The same sums over every row."""
    return prepared[list(_TALLY)].sum().astype("int64")


def _summarise(counts: pd.DataFrame) -> pd.DataFrame:
    """Add NPS, interval and match rate (NaN when no interaction has a known match)."""
    summary = estimates_from_counts(counts)
    labelled = summary["labelled"].to_numpy(dtype=float)
    rate = np.divide(
        summary["matched"].to_numpy(dtype=float),
        labelled,
        out=np.full_like(labelled, np.nan),
        where=labelled > 0,
    )
    return summary.assign(match_rate=rate)


def _plain(value: Any) -> Any:
    """A numpy or pandas scalar as a plain Python value; NaN and NA become None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _estimate_of(totals: pd.Series) -> Estimate:
    """The Estimate for one row of counts."""
    return nps_from_counts(*(int(totals[column]) for column in COUNT_COLUMNS))


# --- Match effect ----------------------------------------------------------------------------


def _not_estimable(naive: float) -> dict[str, Any]:
    """The match effect when the data cannot say anything about the adjusted difference."""
    return {
        "naive": naive,
        "adjusted": 0.0,
        "ci_low": -200.0,
        "ci_high": 200.0,
        "p_value": 1.0,
        "adjusted_for": list(ADJUSTED_FOR),
    }


def match_effect_from_counts(cells: pd.DataFrame) -> dict[str, Any]:
    """Naive and touchpoint×topic-adjusted matched−mismatched NPS from per-cell counts.

    `cells` has one row per (agent_id, touchpoint, topic, matched) with promoters,
    passives and detractors; rows of unknown match must already be left out.
    """
    cells = cells.assign(topic=cells["topic"].astype(object).fillna(UNKNOWN))
    counts = cells[list(COUNT_COLUMNS)].to_numpy(dtype=float)
    if (counts < 0).any():
        raise ValueError("counts of promoters, passives and detractors cannot be negative")
    n = counts.sum(axis=1)
    keep = n > 0
    cells, counts, n = cells.loc[keep], counts[keep], n[keep]
    m = cells["matched"].to_numpy(dtype=bool)
    matched_counts = tuple(int(x) for x in counts[m].sum(axis=0))
    mismatched_counts = tuple(int(x) for x in counts[~m].sum(axis=0))
    naive = difference_from_counts(matched_counts, mismatched_counts).estimate  # type: ignore[arg-type]
    if len(cells) == 0:
        return _not_estimable(naive)
    y_sum = 100.0 * (counts[:, 0] - counts[:, 2])  # sum of y within the cell, in points
    mf = m.astype(float)
    strata = cells.groupby(list(ADJUSTED_FOR), observed=True, dropna=False, sort=False).ngroup().to_numpy()
    agents = cells.groupby("agent_id", observed=True, dropna=False, sort=False).ngroup().to_numpy()
    n_s = np.bincount(strata, weights=n)
    m_bar = np.bincount(strata, weights=n * mf) / n_s
    y_bar = np.bincount(strata, weights=y_sum) / n_s
    m_within = mf - m_bar[strata]
    sxx = float(np.sum(n * m_within**2))
    big_n, n_strata, n_agents = float(n.sum()), len(n_s), int(agents.max()) + 1
    k = 1 + n_strata
    if sxx <= 1e-9 * big_n or n_agents < 2 or big_n <= k:
        return _not_estimable(naive)
    beta = float(np.sum(m_within * y_sum)) / sxx
    residual_sum = y_sum - n * y_bar[strata] - beta * n * m_within
    scores = np.bincount(agents, weights=m_within * residual_sum, minlength=n_agents)
    correction = n_agents / (n_agents - 1) * (big_n - 1) / (big_n - k)
    se = math.sqrt(correction * float(np.sum(scores**2))) / sxx
    if not math.isfinite(se) or se <= 0:
        return _not_estimable(naive)
    df_t = n_agents - 1
    t_crit = t_quantile(df_t, 0.5 + CONFIDENCE / 2)
    return {
        "naive": naive,
        "adjusted": beta,
        "ci_low": max(-200.0, beta - t_crit * se),
        "ci_high": min(200.0, beta + t_crit * se),
        "p_value": min(1.0, t_two_tailed(df_t, beta / se)),
        "adjusted_for": list(ADJUSTED_FOR),
    }


def _match_cells(prepared: pd.DataFrame) -> pd.DataFrame:
    """Answer counts per (agent, touchpoint, topic, matched) among contacts of known match.

    Sorted by those keys, so the effect's floating-point sums run in one order whatever order
    the rows came in (one row per contact, or groups from the database in any order).
    """
    known = prepared.loc[prepared["labelled"].to_numpy() > 0]
    counts = known.groupby(["agent_id", *ADJUSTED_FOR, "matched_flag"], observed=True, sort=True)[
        list(COUNT_COLUMNS)
    ].sum()
    return counts.reset_index().rename(columns={"matched_flag": "matched"})


def match_effect(df: pd.DataFrame) -> dict[str, Any]:
    """Matched−mismatched NPS: naive, and adjusted for touchpoint and topic (agent-clustered)."""
    return match_effect_from_counts(_match_cells(_prepare(df)))


def describe_effect(effect: Mapping[str, Any], n: int | None = None) -> str:
    """Say in plain English what a match effect means and what it does not prove."""
    naive, adjusted = float(effect["naive"]), float(effect["adjusted"])
    low, high, p_value = float(effect["ci_low"]), float(effect["ci_high"]), float(effect["p_value"])
    based_on = f" (based on {n:,} survey answers)" if n is not None else ""
    if low <= -200.0 and high >= 200.0:
        return (
            "There are not yet enough surveyed contacts, with both met and missed preferences "
            "in the same touchpoint and topic and from at least two agents, to estimate what "
            f"meeting the customer's preference is worth{based_on}. Keep collecting answers."
        )
    direction = "higher" if adjusted >= 0 else "lower"
    sentences = [
        f"Comparing contacts within the same touchpoint and topic{based_on}, customers whose "
        f"preference was met gave an NPS {abs(adjusted):.1f} points {direction} than customers "
        f"whose preference was missed (95 % interval {low:+.1f} to {high:+.1f} points, "
        f"{'p < 0.001' if p_value < 0.001 else f'p = {p_value:.3f}'}).",
    ]
    if low <= 0.0 <= high:
        sentences.append(
            "The interval includes zero, so the data cannot yet tell this difference apart from chance."
        )
    else:
        sentences.append("A difference this large would rarely arise by chance alone.")
    sentences.append(
        f"Without that adjustment the gap is {naive:+.1f} points; the difference between the two "
        "figures is what touchpoint and topic alone account for."
    )
    sentences.append(
        "This is an association, not proof that meeting the preference causes the higher score: "
        "matched and missed contacts may still differ in ways touchpoint and topic do not capture "
        "(how hard the problem was, the customer's mood, the agent's experience)."
    )
    sentences.append(
        "The interval allows for one agent's contacts being alike; with few agents or few "
        "answers it is wide, and the estimate will move as answers arrive."
    )
    return " ".join(sentences)


# --- Breakdowns ------------------------------------------------------------------------------


def _matrix(prepared: pd.DataFrame) -> list[dict[str, Any]]:
    """Every customer_preference × agent_style cell, empty ones included."""
    keys = ["customer_preference", "agent_style"]
    counts = _tally(prepared, keys).reset_index()
    counts = counts.astype({key: object for key in keys}).set_index(keys)
    cells = pd.MultiIndex.from_product([list(PREFERENCES), list(PREFERENCES)], names=keys)
    summary = estimates_from_counts(counts.reindex(cells, fill_value=0))
    return [
        {
            "customer_preference": preference,
            "agent_style": style,
            "n": int(row.n),
            "nps": float(row.nps),
            "ci_low": float(row.ci_low),
            "ci_high": float(row.ci_high),
        }
        for (preference, style), row in zip(summary.index, summary.itertuples(index=False), strict=True)
    ]


def matrix(df: pd.DataFrame) -> list[dict[str, Any]]:
    """NPS per customer_preference × agent_style cell (all nine), n = answers in the cell."""
    return _matrix(_prepare(df))


def _touchpoints(prepared: pd.DataFrame) -> list[dict[str, Any]]:
    """NPS and match rate per touchpoint present, in the vocabulary's order."""
    summary = _summarise(_tally(prepared, ["touchpoint"]))
    present = [str(name) for name in summary.index]
    order = [tp for tp in TOUCHPOINTS if tp in present] + sorted(
        tp for tp in present if tp not in TOUCHPOINTS
    )
    summary.index = present
    return [
        {
            "touchpoint": touchpoint,
            "n": int(summary.at[touchpoint, "n"]),
            "nps": float(summary.at[touchpoint, "nps"]),
            "ci_low": float(summary.at[touchpoint, "ci_low"]),
            "ci_high": float(summary.at[touchpoint, "ci_high"]),
            "match_rate": _plain(summary.at[touchpoint, "match_rate"]),
        }
        for touchpoint in order
    ]


def touchpoints(df: pd.DataFrame) -> list[dict[str, Any]]:
    """NPS with interval and match rate for each touchpoint present."""
    return _touchpoints(_prepare(df))


def _benchmarks(prepared: pd.DataFrame, agent_ids: pd.Index) -> pd.DataFrame:
    """Per agent: their team, and its promoter, passive and detractor counts (funnel centre)."""
    sizes = prepared.groupby(["agent_id", "team"], observed=True).size()
    sizes = sizes[sizes > 0]
    team_of = pd.Series(
        [team for _, team in sizes.groupby(level=0, observed=True).idxmax()],
        index=sizes.index.unique(level=0).astype(object),
        dtype=object,
    )
    team_of = team_of.reindex(agent_ids.astype(object))
    teams = _tally(prepared, ["team"])
    teams.index = teams.index.astype(object)
    overall = _totals(prepared)
    columns = {}
    for column in COUNT_COLUMNS:
        known = team_of.map(teams[column]) if len(teams) else pd.Series(np.nan, index=team_of.index)
        columns[column] = known.fillna(overall[column]).to_numpy(dtype=float)
    return pd.DataFrame({"team": team_of.to_numpy(), **columns}, index=team_of.index)


def _agents(prepared: pd.DataFrame, min_n: int) -> list[dict[str, Any]]:
    """Per agent: volumes, match rates, NPS with interval and funnel signal; by agent_id."""
    summary = _summarise(_tally(prepared, ["agent_id"]))
    summary.index = summary.index.astype(object)
    summary = summary.sort_index()
    by_preference = _tally(prepared, ["agent_id", "customer_preference"])
    rate = by_preference["matched"] / by_preference["labelled"].where(by_preference["labelled"] > 0)
    rates = rate.unstack("customer_preference") if len(rate) else pd.DataFrame()
    rates.index = rates.index.astype(object)
    rates.columns = rates.columns.astype(object)
    rates = rates.reindex(index=summary.index, columns=list(PREFERENCES))

    bench = _benchmarks(prepared, summary.index)
    b_n = bench[list(COUNT_COLUMNS)].sum(axis=1).to_numpy()
    b_p = np.divide(bench["promoters"].to_numpy(), b_n, out=np.zeros_like(b_n), where=b_n > 0)
    b_d = np.divide(bench["detractors"].to_numpy(), b_n, out=np.zeros_like(b_n), where=b_n > 0)
    theta = b_p - b_d
    sd = np.sqrt(np.maximum(b_p + b_d - theta**2, 0.0))
    n_agent = summary["n"].to_numpy(dtype=float)
    half = np.divide(FUNNEL_Z * sd, np.sqrt(n_agent), out=np.zeros_like(n_agent), where=n_agent > 0)
    limit_low = np.clip(theta - half, -1.0, 1.0) * 100.0
    limit_high = np.clip(theta + half, -1.0, 1.0) * 100.0
    value = summary["nps"].to_numpy()
    enough = n_agent >= min_n
    outside = np.where(value > limit_high, "above", np.where(value < limit_low, "below", "within"))
    signal = np.where(enough, outside, "within")

    result = []
    for i, agent_id in enumerate(summary.index):
        row = summary.iloc[i]
        result.append(
            {
                "agent_id": agent_id,
                "team": _plain(bench["team"].iloc[i]),
                "n_interactions": int(row["interactions"]),
                "n_surveys": int(row["n"]),
                "match_rate": _plain(row["match_rate"]),
                "match_rate_by_preference": {
                    preference: _plain(rates.at[agent_id, preference]) for preference in PREFERENCES
                },
                "nps": float(row["nps"]),
                "ci_low": float(row["ci_low"]),
                "ci_high": float(row["ci_high"]),
                "benchmark": float(theta[i] * 100.0),
                "limit_low": float(limit_low[i]),
                "limit_high": float(limit_high[i]),
                "signal": str(signal[i]),
                "enough_data": bool(enough[i]),
                "note": None if enough[i] else NOT_ENOUGH_NOTE,
            }
        )
    return result


def agents(df: pd.DataFrame, min_n: int = MIN_RESPONSES) -> list[dict[str, Any]]:
    """Per agent: match rates, NPS with interval and a funnel signal against their team."""
    return _agents(_prepare(df), min_n)


def _utc(started_at: pd.Series) -> pd.Series:
    """Timestamps as tz-aware UTC; naive ones are UTC already."""
    if not pd.api.types.is_datetime64_any_dtype(started_at):
        return pd.to_datetime(started_at, utc=True)
    if started_at.dt.tz is None:
        return started_at.dt.tz_localize("UTC")
    return started_at.dt.tz_convert("UTC")


def _weekly_trend(prepared: pd.DataFrame) -> list[dict[str, Any]]:
    """Per ISO week (Monday, UTC) between the first and last contact, empty weeks included."""
    if len(prepared) == 0:
        return []
    day = _utc(prepared["started_at"]).dt.tz_localize(None).dt.normalize()
    week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    counts = _tally(prepared.assign(week=week), ["week"])
    weeks = pd.date_range(counts.index.min(), counts.index.max(), freq="7D", name="week")
    summary = _summarise(counts.reindex(weeks, fill_value=0))
    return [
        {
            "week": start.date().isoformat(),
            "iso_week": f"{start.isocalendar().year}-W{start.isocalendar().week:02d}",
            "n": int(row.n),
            "nps": float(row.nps),
            "ci_low": float(row.ci_low),
            "ci_high": float(row.ci_high),
            "match_rate": _plain(row.match_rate),
        }
        for start, row in zip(summary.index, summary.itertuples(index=False), strict=True)
    ]


def weekly_trend(df: pd.DataFrame) -> list[dict[str, Any]]:
    """NPS with interval and match rate per ISO week (week = its Monday as an ISO date)."""
    return _weekly_trend(_prepare(df))


# --- The report ------------------------------------------------------------------------------


def report(df: pd.DataFrame, min_n: int = MIN_RESPONSES) -> dict[str, Any]:
    """The `matchpoint report --json` structure of CONTRACTS.md, plus a weekly trend."""
    prepared = _prepare(df)
    totals = _totals(prepared)
    known = prepared.loc[prepared["labelled"].to_numpy() > 0]
    by_match = known.groupby("matched_flag")[list(COUNT_COLUMNS)].sum().reindex([True, False], fill_value=0)
    return {
        "n_interactions": int(totals["interactions"]),
        "n_surveys": int(sum(int(totals[column]) for column in COUNT_COLUMNS)),
        "nps": _estimate_of(totals).as_dict(),
        "matched": _estimate_of(by_match.loc[True]).as_dict(),
        "mismatched": _estimate_of(by_match.loc[False]).as_dict(),
        "match_effect": match_effect_from_counts(_match_cells(prepared)),
        "matrix": _matrix(prepared),
        "touchpoints": _touchpoints(prepared),
        "agents": _agents(prepared, min_n),
        "weekly_trend": _weekly_trend(prepared),
    }
