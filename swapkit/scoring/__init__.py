"""Stage 3, scoring: stored completions → per-record scores for every metric of the suite
(``metrics/``: the registry and built-ins; ``embeddings/``: local or endpoint embedders with
a per-text cache; ``judging``: the judge's stored verdicts; ``score``: scoring a run;
``suite_check``: validating suites).

May import store, ingest, the vocabulary and support, and the replay's judge requests
(rebuilt, never sent, to find the stored verdicts).
"""
