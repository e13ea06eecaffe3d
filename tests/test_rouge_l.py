"""ROUGE-L in process (rapidfuzz's LCS) gives exactly the scores of the rouge_score module.

The oracle is the pure-Python LCS table rouge_score itself uses (copied below), over the
same tokens and the same F-measure arithmetic; rouge_score's scorer is checked too, and
the ``rouge_l`` metric against the evaluate module it replaced."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from swapkit.scoring.metrics.overlap import MODULES, EvaluateMetric, rouge_l, rouge_tokens

from .metrichelp import answer, record, run


def lcs_table_length(ref: list[str], can: list[str]) -> int:
    """rouge_score's ``_lcs_table(ref, can)[-1][-1]``: the bottom-up DP, kept as the oracle."""
    rows, cols = len(ref), len(can)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            if ref[i - 1] == can[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[-1][-1]


def oracle_f(ref: list[str], pred: list[str]) -> float:
    """rouge_score's ``_score_lcs(ref, pred).fmeasure``."""
    if not ref or not pred:
        return 0
    lcs = lcs_table_length(ref, pred)
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


VOCAB = ["the", "cat", "sat", "on", "a", "mat", "hotel", "7", "river", "is", "by", "x1"]
words = st.lists(st.sampled_from(VOCAB), max_size=40)


@settings(max_examples=400, deadline=None)
@given(words, words)
def test_lcs_f_measure_equals_the_pure_python_table(ref: list[str], pred: list[str]) -> None:
    reference, prediction = " ".join(ref), " ".join(pred)
    assert rouge_tokens(reference) == ref and rouge_tokens(prediction) == pred
    assert rouge_l(reference, prediction) == oracle_f(ref, pred)


SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
ALPHABET = "abcAB 019 ,.!?-'\"\n\téÉüß中文İ"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=80), st.text(alphabet=ALPHABET, max_size=80))
def test_same_scores_as_rouge_score_on_any_text(reference: str, prediction: str) -> None:
    """Tokenisation (case, punctuation, non-ASCII) and scoring as rouge_score does them."""
    assert rouge_l(reference, prediction) == SCORER.score(reference, prediction)["rougeL"].fmeasure


def test_seeded_long_sequences_match_the_oracle() -> None:
    """Long answers (past rapidfuzz's 64-token word size) and repeated tokens."""
    rng = random.Random(15)
    for _ in range(60):
        vocab = [f"w{k}" for k in range(rng.randint(2, 30))]
        ref = [rng.choice(vocab) for _ in range(rng.randint(0, 300))]
        pred = [rng.choice(vocab) for _ in range(rng.randint(0, 300))]
        assert rouge_l(" ".join(ref), " ".join(pred)) == oracle_f(ref, pred)


def test_rouge_l_metric_equals_the_evaluate_module() -> None:
    rng = random.Random(4)
    sentences = ["The cat sat on the mat.", "A quick brown fox!", "Hotel 12 is by the river",
                 "", "  ", "中文 only", "the the the cat", "Sat. Mat? Cat!"]
    n = 60
    records = [record(i, reference=rng.choice(sentences[:3] + sentences[5:])) for i in range(n)]
    base = [answer(rng.choice(sentences)) for _ in range(n)]
    cand = [answer(rng.choice(sentences)) if i % 9 else answer(status="timeout")
            for i in range(n)]
    data = run(records, base, cand)
    from swapkit.scoring.metrics import get_metric

    native = get_metric("rouge_l").score(data, {})
    module = EvaluateMetric("rouge_l", str(MODULES / "rouge_l"), "").score(data, {})
    assert native.to_json() == module.to_json()
