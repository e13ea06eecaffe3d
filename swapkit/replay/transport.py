"""A thin OpenAI-compatible HTTP transport on aiohttp, one per endpoint target.

Why not ``AsyncOpenAI`` here: on these 2-core machines its request building costs about
1.5 ms of CPU per call (``create()`` re-walks every message through its parameter
transforms; even ``client.post`` builds and copies httpx request objects), which capped
a replay at ~420 requests/s against a local simulator (``benchmarks/RESULTS.md``). The
wire protocol is small: ``POST {base_url}/chat/completions`` with a bearer key, a JSON
answer or server-sent events. This transport sends the logged request bytes as they are
and hands back status, headers and body; classification lives in ``call.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson

from swapkit.config import TargetConfig, target_headers

__all__ = ["SAMPLE_HEADER", "ChatTransport", "TransportError", "target_transport"]

# Tells swapkit's simulator which sample of a record is asked for (real endpoints ignore it).
SAMPLE_HEADER = "X-Swapkit-Sample"


class TransportError(Exception):
    """The request did not produce a whole HTTP response (connection failed, dropped, timed
    out). ``reached`` is False when no response began: nothing reached the model."""

    def __init__(self, message: str, *, timed_out: bool = False, reached: bool = True) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.reached = reached


class ChatTransport:
    """POSTs chat requests to one endpoint with at most ``concurrency`` connections."""

    def __init__(self, base_url: str, credentials: dict[str, str], concurrency: int) -> None:
        from swapkit.support.version import __version__

        self.base_url = base_url.rstrip("/")
        # Never logged; redacted from anything the endpoint echoes (a bearer key bare, too).
        self.secrets = [v for value in credentials.values()
                        for v in (value, value.removeprefix("Bearer "))]
        self._headers = {"Content-Type": "application/json",
                         "User-Agent": f"swapkit/{__version__}", **credentials}
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._concurrency,
                                             limit_per_host=self._concurrency)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)
        return self._session

    async def close(self) -> None:
        """Close the connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @asynccontextmanager
    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str],
                   timeout_s: float) -> AsyncIterator[aiohttp.ClientResponse]:
        """POST ``body`` as JSON; yields the response with its body still unread."""
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        responded = False
        try:
            async with self._client().post(self.base_url + path, data=orjson.dumps(body),
                                           headers=headers, timeout=timeout) as response:
                responded = True
                yield response
        except TimeoutError:
            raise TransportError(f"no answer within {timeout_s:g} s", timed_out=True) from None
        except aiohttp.ClientPayloadError as err:
            raise TransportError(f"truncated response body ({err})") from None
        except aiohttp.ClientError as err:
            raise TransportError(f"connection error: {type(err).__name__}: {err}",
                                 reached=responded) from None

    async def get_json(self, path: str, timeout_s: float) -> tuple[int | None, Any, str]:
        """GET ``path``: (HTTP status or None, parsed JSON or None, error text)."""
        try:
            async with self._client().get(self.base_url + path,
                                          timeout=aiohttp.ClientTimeout(total=timeout_s)) as r:
                body = await r.content.read(1024 * 1024)
                try:
                    return r.status, orjson.loads(body), ""
                except orjson.JSONDecodeError:
                    return r.status, None, body[:200].decode("utf-8", "replace")
        except TimeoutError:
            return None, None, f"no answer within {timeout_s:g} s"
        except aiohttp.ClientError as err:
            return None, None, f"{type(err).__name__}: {err}"


def target_transport(target: TargetConfig, side: str, concurrency: int) -> ChatTransport:
    """A transport to ``target`` with its credentials read from this process's environment
    now (the driver's, or a Ray worker's own: keys never travel)."""
    return ChatTransport(target.base_url or "", target_headers(target, side), concurrency)
