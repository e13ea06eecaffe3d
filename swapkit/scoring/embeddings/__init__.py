"""Embedding answers for the similarity metrics: sentence-transformers or OpenVINO locally,
or an OpenAI-compatible endpoint (``embedders``, ``openvino_backend``), every vector cached
in the run store; ``prefetch`` embeds during the replay.

May import store, the vocabulary and support.
"""
