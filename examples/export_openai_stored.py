"""Export OpenAI stored chat completions (made with ``store: true``) for swapkit.

The list endpoint returns each completion without the messages that were sent, so this
script adds them (``GET /v1/chat/completions/{id}/messages``) under ``"messages"`` and
writes one completion a line::

    OPENAI_API_KEY=... python examples/export_openai_stored.py stored.jsonl \\
        [--model gpt-4o-mini] [--metadata route=search]
    swapkit inspect stored.jsonl --format openai-stored

One API call per completion for its messages: a large store takes a while (the SDK
retries rate limits).
"""

from __future__ import annotations

import argparse
import json

from openai import OpenAI


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the JSONL file to write")
    parser.add_argument("--model", help="only completions of this model")
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="only completions with this metadata tag (repeatable)")
    args = parser.parse_args()
    tags = dict(item.split("=", 1) for item in args.metadata)
    filters = {"model": args.model} if args.model else {}
    client = OpenAI()
    with open(args.output, "w", encoding="utf-8") as out:
        for completion in client.chat.completions.list(limit=100, metadata=tags or None,
                                                       order="asc", **filters):
            entry = completion.model_dump(mode="json", exclude_unset=True)  # as the API sent it
            messages = client.chat.completions.messages.list(completion.id, limit=100)
            entry["messages"] = [m.model_dump(mode="json", exclude_unset=True) for m in messages]
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
