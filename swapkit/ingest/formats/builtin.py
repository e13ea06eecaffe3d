"""The log formats swapkit ships, registered through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Callable

from swapkit.ingest.formats.base import LogFormat
from swapkit.support.plugins import hookimpl

__all__ = ["register_log_formats"]


@hookimpl(trylast=True)  # plugins first, as when built-ins were registered first
def register_log_formats(register: Callable[[LogFormat], None]) -> None:
    """Register the built-in formats, most specific sniffers first."""
    from swapkit.ingest.formats.anthropic import AnthropicFormat
    from swapkit.ingest.formats.batch import BatchFormat
    from swapkit.ingest.formats.custom import CustomFormat
    from swapkit.ingest.formats.helicone import HeliconeFormat
    from swapkit.ingest.formats.langfuse import LangfuseFormat
    from swapkit.ingest.formats.langsmith import LangsmithFormat
    from swapkit.ingest.formats.litellm import LiteLLMFormat
    from swapkit.ingest.formats.messages import MessagesFormat
    from swapkit.ingest.formats.native import NativeFormat
    from swapkit.ingest.formats.openai_chat import OpenAIChatFormat
    from swapkit.ingest.formats.openai_stored import OpenAIStoredFormat
    from swapkit.ingest.formats.otel import OtelFormat
    from swapkit.ingest.formats.tabular import CsvFormat, HFDatasetFormat, ParquetFormat

    for log_format in (
        HFDatasetFormat(), CsvFormat(), ParquetFormat(), BatchFormat(), OpenAIStoredFormat(),
        AnthropicFormat(), NativeFormat(), OpenAIChatFormat(), LiteLLMFormat(), MessagesFormat(),
        OtelFormat(), LangsmithFormat(), LangfuseFormat(), HeliconeFormat(), CustomFormat(),
    ):
        register(log_format)
