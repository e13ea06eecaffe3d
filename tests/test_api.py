"""The public API is what ``swapkit.__all__`` says, and every name in it resolves."""

import swapkit


def test_public_api_is_locked() -> None:
    assert swapkit.__all__ == [
        "ColumnMapping", "ConfigError", "LogError", "LogLineError", "LogSource", "LogStats",
        "Record", "RecordedResponse", "Sample", "SampleSpec", "Suite", "SwapConfig",
        "SwapkitError", "TargetConfig", "UsageError", "__version__", "canonical_json",
        "check_environment", "collect_stats", "draw_sample", "load_config", "read_log",
        "request_hash", "split_reasoning",
    ]
    for name in swapkit.__all__:
        assert getattr(swapkit, name) is not None
