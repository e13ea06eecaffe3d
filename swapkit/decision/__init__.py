"""Stage 4, decision: stored scores and the suite's gates → GO / NO-GO / INCONCLUSIVE per
gate, per segment and overall, each with its reason (``gates``, ``decide``, ``reasons``,
``panels``, ``model``, ``headline``); the statistics live in ``stats/`` (docs/methodology.md).

May import scoring, store, the vocabulary and support.
"""
