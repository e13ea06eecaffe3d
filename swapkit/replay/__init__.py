"""Stage 2, replay: a config and its sample → one completion per record, side and sample in
the run store, over a thin client of the OpenAI wire protocol (``transport``, ``call``) with
rate limits (``limits``), recorded targets (``targets``) and progress (``progress``).

May import ingest, store, the vocabulary and support.
"""
