"""Write the example prompt logs, in every format swapkit reads, from the content below.

The content is hand-written for this project: a Fliggy-style travel assistant (AskMe:
itinerary questions, flight and hotel search through tools, visa questions, multi-turn)
and an Accio-style merchant product search (query → JSON attributes, category routing,
query rewriting). Recorded answers are DeepSeek-R1-style, with reasoning.

Run from the repository root:  python examples/build_logs.py
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
START = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)

TRAVEL_SYSTEM = (
    "You are AskMe, the travel assistant of an online travel agency. Answer briefly and "
    "concretely. Use the tools to search flights and hotels; never invent prices."
)
SEARCH_SYSTEM = (
    "You extract structured product attributes from a buyer's search query for a B2B "
    "marketplace. Answer with JSON only."
)

FLIGHT_TOOL = {
    "type": "function",
    "function": {
        "name": "search_flights",
        "description": "Search one-way flights.",
        "parameters": {
            "type": "object",
            "properties": {
                "origin": {"type": "string", "description": "IATA code"},
                "destination": {"type": "string", "description": "IATA code"},
                "date": {"type": "string", "description": "YYYY-MM-DD"},
                "cabin": {"type": "string", "enum": ["economy", "business"]},
            },
            "required": ["origin", "destination", "date"],
        },
    },
}
HOTEL_TOOL = {
    "type": "function",
    "function": {
        "name": "search_hotels",
        "description": "Search hotels in a city for a stay.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "check_in": {"type": "string"},
                "nights": {"type": "integer"},
                "max_price_cny": {"type": "integer"},
            },
            "required": ["city", "check_in", "nights"],
        },
    },
}

# (segment, user prompt, R1 reasoning, answer, reference or None)
# TRAVEL_MULTI adds turns and tool arguments: (segment, turns, reasoning, answer, reference,
# search_flights arguments or None)
TRAVEL_QA = [
    ("itinerary", "I have three days in Hangzhou in late November. What should I not miss?",
     "Late November is cool and the maples around West Lake turn red. Three days: lake, tea "
     "villages, a water town.",
     "Day 1: walk or cycle around West Lake, Su Causeway at sunrise, Leifeng Pagoda at dusk. "
     "Day 2: Longjing tea village and the Nine Creeks trail, then Lingyin Temple. Day 3: a "
     "half day in Wuzhen or Xitang water town. Late November is the best time for the "
     "maples at Manjuelong.",
     "West Lake and Su Causeway, Lingyin Temple, Longjing tea villages, a water town such as "
     "Wuzhen; late November is maple season."),
    ("itinerary", "Plan a 2-day trip to Chengdu for a family with a 6-year-old.",
     "Kids: pandas first thing in the morning, then easy city sights; avoid very spicy food.",
     "Day 1: Chengdu Research Base of Giant Panda Breeding at opening time (pandas are active "
     "before 10am), afternoon at People's Park tea house, evening at Kuanzhai Alley. Day 2: "
     "Wenshu Monastery, the Sichuan Science and Technology Museum, and a hot-pot dinner with "
     "a mild broth for your child.", None),
    ("itinerary", "Is one day enough for the Great Wall and the Forbidden City?",
     "Possible but rushed; Mutianyu is 1.5h from the city; Forbidden City needs a reservation "
     "and is closed Mondays.",
     "It is possible but tiring. Go to Mutianyu early (about 1.5 hours by car), be back by "
     "2pm, and visit the Forbidden City in the afternoon. Book Forbidden City tickets online "
     "in advance, and note it is closed on Mondays.",
     "Possible but rushed: Mutianyu in the morning, Forbidden City (book ahead, closed "
     "Mondays) in the afternoon."),
    ("visa_faq", "Do I need a visa to transit through Shanghai for 48 hours on a US passport?",
     "US citizens qualify for the 240-hour visa-free transit at Shanghai with an onward "
     "ticket to a third country.",
     "No visa is needed if you continue to a third country: US passport holders can use the "
     "240-hour visa-free transit at Shanghai Pudong. Keep your onward ticket ready at "
     "immigration.",
     "No: 240-hour visa-free transit applies with an onward ticket to a third country."),
    ("visa_faq", "Can I use my Alipay with a foreign credit card in China?",
     "Yes, Alipay supports linking Visa/Mastercard for foreigners; small fee over 200 CNY.",
     "Yes. Alipay lets you link a Visa, Mastercard, JCB or Diners card. Payments under 200 "
     "CNY are free of the service fee; above that a 3% fee applies.", None),
    ("visa_faq", "What documents do I need to check in to a hotel in Beijing?",
     "Foreigners: passport with a valid visa or entry stamp.",
     "Your passport, with a valid visa or entry stamp. Hotels must register foreign guests, "
     "so the name on the booking should match the passport.",
     "Passport with valid visa or entry stamp."),
    ("itinerary", "Where can I see snow in China in December that is easy to reach?",
     "Harbin (ice festival starts late Dec), Changbaishan, Xuexiang. Easy: Harbin by "
     "high-speed rail or flight.",
     "Harbin is the easiest: direct flights from most cities, and the Ice and Snow World "
     "opens in late December. For skiing, Changbaishan and Yabuli. Xuexiang (Snow Town) is "
     "the most scenic but needs a long transfer.", None),
]

TRAVEL_TOOLS = [
    ("flight_search", "Find me a flight from Shanghai to Chengdu on December 12, economy.",
     "Need search_flights with PVG/SHA to CTU/TFU. Use SHA as general code? Use PVG.",
     "search_flights", {"origin": "SHA", "destination": "CTU", "date": "2026-12-12",
                        "cabin": "economy"}),
    ("flight_search", "Any business class flights Beijing to Guangzhou next Friday 2026-12-04?",
     "Call search_flights PEK to CAN, business.",
     "search_flights", {"origin": "PEK", "destination": "CAN", "date": "2026-12-04",
                        "cabin": "business"}),
    ("hotel_search", "A hotel near West Lake for 3 nights from December 20, under 800 yuan.",
     "search_hotels city Hangzhou, check_in 2026-12-20, nights 3, max 800.",
     "search_hotels", {"city": "Hangzhou", "check_in": "2026-12-20", "nights": 3,
                       "max_price_cny": 800}),
    ("hotel_search", "Book something in Xi'an for two nights starting 2026-12-01.",
     "search_hotels Xi'an, 2 nights.",
     "search_hotels", {"city": "Xi'an", "check_in": "2026-12-01", "nights": 2}),
]

TRAVEL_MULTI = [
    ("itinerary", [
        ("user", "We are going to Guilin in April."),
        ("assistant", "April is a lovely time: green hills and fuller rivers. How many days "
                      "do you have?"),
        ("user", "Four days. Should we stay in Guilin or Yangshuo?"),
    ], "Split: 1 night Guilin, 3 nights Yangshuo; Li River cruise connects them.",
     "Stay one night in Guilin, take the Li River cruise to Yangshuo, and spend three nights "
     "there: cycling along the Yulong River, Moon Hill, and the evening light show.",
     "Mostly Yangshuo (3 nights) with one night in Guilin; Li River cruise between them.",
     None),
    ("flight_search", [
        ("user", "I need to get from Chengdu to Lhasa."),
        ("assistant", "Flying is the quickest (about 2 hours). Which date?"),
        ("user", "December 8, economy please."),
    ], "Call search_flights CTU to LXA on 2026-12-08 economy.",
     None, None,
     {"origin": "CTU", "destination": "LXA", "date": "2026-12-08", "cabin": "economy"}),
]

# (segment, query, attributes)
SEARCH_EXTRACT = [
    ("attribute_extraction", "stainless steel insulated water bottle 500ml with logo MOQ 1000",
     {"category": "drinkware", "material": "stainless steel", "capacity_ml": 500,
      "customization": "logo", "moq": 1000}),
    ("attribute_extraction", "women's waterproof hiking boots size 38 brown",
     {"category": "footwear", "gender": "women", "feature": "waterproof", "size": "38",
      "color": "brown"}),
    ("attribute_extraction", "usb-c 65w gan charger ce fcc certified",
     {"category": "chargers", "connector": "USB-C", "power_w": 65, "technology": "GaN",
      "certifications": ["CE", "FCC"]}),
    ("attribute_extraction", "bamboo cutting board set of 3 with juice groove",
     {"category": "kitchenware", "material": "bamboo", "pieces": 3,
      "feature": "juice groove"}),
    ("attribute_extraction", "led grow light full spectrum 1000w for greenhouse",
     {"category": "lighting", "type": "grow light", "spectrum": "full", "power_w": 1000,
      "application": "greenhouse"}),
    ("attribute_extraction", "cotton t-shirt 180gsm oversized blank wholesale",
     {"category": "apparel", "material": "cotton", "weight_gsm": 180, "fit": "oversized",
      "customization": "blank"}),
]
SEARCH_ROUTING = [
    ("category_routing", "solar panel 400w monocrystalline", "energy"),
    ("category_routing", "dog harness no pull reflective", "pet_supplies"),
    ("category_routing", "ceramic mugs custom print 11oz", "drinkware"),
    ("category_routing", "hydraulic excavator bucket teeth", "machinery"),
]
SEARCH_REWRITE = [
    ("query_rewrite", "cheap phone case iphone 16 pro max magsafe clear",
     "clear MagSafe case for iPhone 16 Pro Max"),
    ("query_rewrite", "that yoga mat that doesnt slip thick one",
     "thick non-slip yoga mat"),
]

ATTR_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "product_attributes",
        "strict": False,
        "schema": {
            "type": "object",
            "properties": {"category": {"type": "string"}},
            "required": ["category"],
            "additionalProperties": True,
        },
    },
}


def _usage(prompt: str, reasoning: str, answer: str) -> dict[str, Any]:
    # Roughly 4 characters a token, as in production logs of English text.
    p, r, a = (max(1, len(t) // 4) for t in (prompt, reasoning, answer))
    return {"prompt_tokens": p + 40, "completion_tokens": r + a,
            "completion_tokens_details": {"reasoning_tokens": r}}


def _completion(cid: str, content: str | None, reasoning: str, *, tool: tuple[str, dict] |
                None = None, finish: str = "stop", inline_think: bool = False,
                created: int = 0, prompt: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant"}
    if inline_think:
        # R1 as served by some providers: reasoning inline, opening tag missing.
        message["content"] = f"{reasoning}\n</think>\n\n{content or ''}"
    else:
        message["content"] = content
        message["reasoning_content"] = reasoning
    if tool:
        message["tool_calls"] = [{"id": f"call_{cid}", "type": "function", "function": {
            "name": tool[0], "arguments": json.dumps(tool[1])}}]
        finish = "tool_calls"
    return {"id": f"chatcmpl-{cid}", "object": "chat.completion", "created": created,
            "model": "deepseek-reasoner",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": _usage(prompt, reasoning, content or "")}


def travel_lines() -> list[dict[str, Any]]:
    """The travel assistant's log as OpenAI chat request/response lines."""
    lines = []
    t = START
    for i, (segment, prompt, reasoning, answer, reference) in enumerate(TRAVEL_QA):
        t += timedelta(minutes=47)
        request = {"model": "deepseek-reasoner", "messages": [
            {"role": "system", "content": TRAVEL_SYSTEM}, {"role": "user", "content": prompt}],
            "max_tokens": 2048}
        response = _completion(f"tq{i}", answer, reasoning, created=int(t.timestamp()),
                               inline_think=(i % 3 == 2), prompt=prompt)
        line = {"id": f"askme-{i:03d}", "segment": segment, "request": request,
                "response": response, "latency_ms": 6200 + 350 * i,
                "metadata": {"locale": "en", "channel": "app"}}
        if reference:
            line["reference"] = reference
        lines.append(line)
    for i, (segment, prompt, reasoning, tool, args) in enumerate(TRAVEL_TOOLS):
        t += timedelta(minutes=31)
        request = {"model": "deepseek-reasoner", "messages": [
            {"role": "system", "content": TRAVEL_SYSTEM},
            {"role": "user", "content": [{"type": "text", "text": prompt}]}],
            "tools": [FLIGHT_TOOL, HOTEL_TOOL], "tool_choice": "auto"}
        response = _completion(f"tt{i}", None, reasoning, tool=(tool, args),
                               created=int(t.timestamp()), prompt=prompt)
        lines.append({"id": f"askme-tool-{i:03d}", "segment": segment, "request": request,
                      "response": response, "latency_ms": 4100 + 200 * i,
                      "reference": {"tool_calls": [{"name": tool, "arguments": args}]},
                      "metadata": {"locale": "en", "channel": "web"}})
    for i, (segment, turns, reasoning, answer, reference, args) in enumerate(TRAVEL_MULTI):
        t += timedelta(minutes=53)
        messages = [{"role": "system", "content": TRAVEL_SYSTEM}] + [
            {"role": role, "content": text} for role, text in turns]
        request: dict[str, Any] = {"model": "deepseek-reasoner", "messages": messages}
        tool = None
        if args is not None:
            request["tools"] = [FLIGHT_TOOL]
            tool = ("search_flights", args)
        response = _completion(f"tm{i}", answer, reasoning, tool=tool,
                               created=int(t.timestamp()), prompt=turns[-1][1])
        line = {"id": f"askme-conv-{i:03d}", "segment": segment,
                "conversation_id": f"conv-{i}", "request": request,
                "response": response, "latency_ms": 7300,
                "metadata": {"locale": "en", "channel": "app"}}
        if reference:
            line["reference"] = reference
        lines.append(line)
    # A reply that ran out of budget while still thinking (docs/methodology.md §8.1).
    t += timedelta(minutes=12)
    prompt = "Compare every high-speed train between Beijing and Shanghai for next week."
    truncated = _completion("tx", None, "Listing G-trains: G1, G3, G5, G7 ... " * 20,
                            finish="length", created=int(t.timestamp()), prompt=prompt)
    truncated["choices"][0]["message"]["content"] = ""
    lines.append({"id": "askme-trunc-000", "segment": "itinerary", "request": {
        "model": "deepseek-reasoner", "max_tokens": 256, "messages": [
            {"role": "system", "content": TRAVEL_SYSTEM}, {"role": "user", "content": prompt}]},
        "response": truncated, "latency_ms": 9800, "metadata": {"locale": "en"}})
    # The same question asked twice in production: a duplicate request.
    duplicate = json.loads(json.dumps(lines[0]))
    duplicate["id"] = "askme-dup-000"
    lines.append(duplicate)
    return lines


def search_lines() -> list[dict[str, Any]]:
    """The product search log as OpenAI chat request/response lines."""
    lines = []
    t = START
    for i, (segment, query, attrs) in enumerate(SEARCH_EXTRACT):
        t += timedelta(minutes=13)
        request = {"model": "deepseek-reasoner", "response_format": ATTR_SCHEMA if i % 2 else
                   {"type": "json_object"}, "temperature": 0.6, "messages": [
                       {"role": "system", "content": SEARCH_SYSTEM},
                       {"role": "user", "content": query}]}
        answer = json.dumps(attrs)
        lines.append({"id": f"accio-attr-{i:03d}", "segment": segment, "request": request,
                      "response": _completion(f"sa{i}", answer, "Identify category, then "
                                              "material, size and quantities.",
                                              created=int(t.timestamp()), prompt=query),
                      "reference": answer, "latency_ms": 3100 + 90 * i,
                      "metadata": {"market": "US", "buyer_tier": "pro" if i % 3 else "free"}})
    for i, (segment, query, label) in enumerate(SEARCH_ROUTING):
        t += timedelta(minutes=13)
        request = {"model": "deepseek-reasoner", "temperature": 0.6, "messages": [
            {"role": "system", "content": "Route the query to one category id. Answer with "
             "the id only: energy, pet_supplies, drinkware, machinery, apparel, other."},
            {"role": "user", "content": query}]}
        lines.append({"id": f"accio-route-{i:03d}", "segment": segment, "request": request,
                      "response": _completion(f"sr{i}", label, "Match the product type.",
                                              created=int(t.timestamp()), prompt=query,
                                              inline_think=True),
                      "reference": label, "latency_ms": 1900,
                      "metadata": {"market": "EU", "buyer_tier": "free"}})
    for i, (segment, query, rewrite) in enumerate(SEARCH_REWRITE):
        t += timedelta(minutes=13)
        request = {"model": "deepseek-reasoner", "messages": [
            {"role": "system", "content": "Rewrite the buyer's query as a clean search "
             "phrase. Answer with the phrase only."}, {"role": "user", "content": query}]}
        lines.append({"id": f"accio-rewrite-{i:03d}", "segment": segment, "request": request,
                      "response": _completion(f"sw{i}", rewrite, "Drop filler words.",
                                              created=int(t.timestamp()), prompt=query),
                      "reference": rewrite, "latency_ms": 2200,
                      "metadata": {"market": "US", "buyer_tier": "pro"}})
    return lines


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_travel(lines: list[dict[str, Any]]) -> None:
    logs = HERE / "travel-assistant" / "logs"
    write_jsonl(logs / "chat.jsonl", lines)

    from swapkit.ingest.formats.openai_chat import OpenAIChatFormat

    native = [OpenAIChatFormat().to_record(line, n).model_dump(mode="json", exclude_none=True)
              for n, line in enumerate(lines, 1)]
    write_jsonl(logs / "native.jsonl", native)

    messages_rows = []
    for line in lines:
        request = dict(line["request"])
        row: dict[str, Any] = {"messages": request.pop("messages"), "segment": line["segment"]}
        row.update({k: v for k, v in request.items() if k != "model"})
        message = line["response"]["choices"][0]["message"]
        if message.get("tool_calls"):
            row["messages"] = [*row["messages"], {"role": "assistant", "content": None,
                                                  "tool_calls": message["tool_calls"]}]
        elif line.get("reference"):
            row["messages"] = [*row["messages"],
                               {"role": "assistant", "content": line["reference"]}]
        messages_rows.append(row)
    write_jsonl(logs / "messages.jsonl", messages_rows)

    batch_in, batch_out = [], []
    for line in lines[:-1]:  # the batch has no duplicate
        batch_in.append({"custom_id": line["id"], "method": "POST",
                         "url": "/v1/chat/completions", "body": line["request"]})
    for n, item in enumerate(reversed(batch_in)):  # output order differs from input
        if n == 1:
            batch_out.append({"id": f"batch_req_{n}", "custom_id": item["custom_id"],
                              "response": {"status_code": 429, "request_id": f"req_{n}",
                                           "body": {"error": {"message": "Rate limit "
                                                    "reached for requests",
                                                              "type": "rate_limit"}}},
                              "error": None})
            continue
        if n == 3:
            batch_out.append({"id": f"batch_req_{n}", "custom_id": item["custom_id"],
                              "response": None, "error": {"code": "server_error",
                                                          "message": "The server had an error"}})
            continue
        source = next(line for line in lines if line["id"] == item["custom_id"])
        batch_out.append({"id": f"batch_req_{n}", "custom_id": item["custom_id"],
                          "response": {"status_code": 200, "request_id": f"req_{n}",
                                       "body": source["response"]}, "error": None})
    write_jsonl(logs / "batch_input.jsonl", batch_in)
    write_jsonl(logs / "batch_output.jsonl", batch_out)


def write_search(lines: list[dict[str, Any]]) -> None:
    logs = HERE / "product-search" / "logs"
    write_jsonl(logs / "chat.jsonl", lines)
    rows = []
    for line in lines:
        message = line["response"]["choices"][0]["message"]
        answer = message["content"]
        if message.get("reasoning_content"):
            answer = f"<think>{message['reasoning_content']}</think>\n{answer}"
        rows.append({
            "query_id": line["id"], "route": line["segment"],
            "system_prompt": line["request"]["messages"][0]["content"],
            "query": line["request"]["messages"][-1]["content"],
            "model_answer": answer, "expected": line.get("reference", ""),
            "market": line["metadata"]["market"], "buyer_tier": line["metadata"]["buyer_tier"],
            "logged_at": datetime.fromtimestamp(line["response"]["created"], UTC).isoformat(),
        })
    with (logs / "queries.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Whole requests as JSON text: nested chat JSON breaks Arrow schema inference.
    table_rows = [{"id": line["id"], "segment": line["segment"],
                   "request": json.dumps(line["request"]),
                   "response": json.dumps(line["response"]),
                   "reference": line.get("reference", "")} for line in lines]
    pq.write_table(pa.Table.from_pylist(table_rows), logs / "requests.parquet")
    datasets.Dataset.from_list(rows).save_to_disk(str(logs / "hf_dataset"))


if __name__ == "__main__":
    write_travel(travel_lines())
    write_search(search_lines())
    print("wrote example logs under", HERE)
