"""The log formats swapkit ships, registered through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from swapkit.plugins import hookimpl

__all__ = ["register_log_formats"]


@hookimpl
def register_log_formats(register: Callable[[Any], None]) -> None:
    """Register the built-in formats, most specific sniffers first."""
    from swapkit.logs.batch import BatchFormat
    from swapkit.logs.messages import MessagesFormat
    from swapkit.logs.native import NativeFormat
    from swapkit.logs.openai_chat import OpenAIChatFormat
    from swapkit.logs.tabular import CsvFormat, HFDatasetFormat, ParquetFormat

    for log_format in (
        HFDatasetFormat(), CsvFormat(), ParquetFormat(), BatchFormat(),
        NativeFormat(), OpenAIChatFormat(), MessagesFormat(),
    ):
        register(log_format)
