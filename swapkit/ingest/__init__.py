"""Stage 1, ingest: prompt logs in any supported format → :class:`~swapkit.records.Record`
streams (``formats/``), the calls a filter keeps (``filtering``), a seeded stratified sample
in replay order (``sampling``), and what a log holds (``logstats``, ``inspection``).

May import the vocabulary (config, records, errors) and support only.
"""
