"""Plain tools every stage uses: canonical hashing, number formatting, text sanitising,
secret redaction, YAML with line numbers, the plugin manager and named registries.

Takes in and gives out plain values. May import only :mod:`swapkit.errors`; never a stage.
"""
