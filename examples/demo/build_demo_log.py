"""Write the demo's prompt log: a few hundred AskMe (travel) and Accio (product search)
calls with references and recorded DeepSeek-R1-style answers, from the hand-written
content below. Deterministic (seeded); the output is committed as
swapkit/demo/askme-accio.jsonl, which `swapkit demo` replays.

Run from the repository root:  python examples/demo/build_demo_log.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "swapkit" / "demo" / "askme-accio.jsonl"
RNG = random.Random(20261129)
START = datetime(2026, 11, 9, 7, 0, tzinfo=UTC)

TRAVEL_SYSTEM = ("You are AskMe, the travel assistant of an online travel agency. Answer "
                 "briefly and concretely. Use the tools to search flights and hotels.")
CITIES = {
    "Hangzhou": ("West Lake and the Su Causeway", "Lingyin Temple", "the Longjing tea villages",
                 "spring or autumn", "Dongpo pork"),
    "Chengdu": ("the Giant Panda Base", "Kuanzhai Alley", "Wenshu Monastery", "spring",
                "hot pot with a mild broth"),
    "Xi'an": ("the Terracotta Army", "the city wall by bike", "the Muslim Quarter",
              "autumn", "roujiamo"),
    "Guilin": ("the Li River cruise", "Yangshuo by bike", "the Reed Flute Cave",
               "April to October", "rice noodles"),
    "Beijing": ("the Forbidden City", "Mutianyu Great Wall", "the Summer Palace",
                "autumn", "Peking duck"),
    "Shanghai": ("the Bund at night", "Yu Garden", "the French Concession", "spring or autumn",
                 "xiaolongbao"),
    "Harbin": ("the Ice and Snow World", "Central Street", "Sun Island", "January",
               "red sausage"),
    "Xiamen": ("Gulangyu island", "Nanputuo Temple", "Zengcuoan village", "spring",
               "seafood noodles"),
    "Kunming": ("the Stone Forest", "Green Lake Park", "Dianchi Lake", "all year",
                "crossing-the-bridge noodles"),
    "Lhasa": ("the Potala Palace", "Jokhang Temple", "Barkhor Street", "May to October",
              "yak butter tea"),
    "Suzhou": ("the Humble Administrator's Garden", "Pingjiang Road", "Tiger Hill",
               "spring", "squirrel-shaped mandarin fish"),
    "Zhangjiajie": ("the Avatar mountains", "the glass bridge", "Tianmen Mountain",
                    "April to October", "three-pot stew"),
}
WHO = ("a couple", "a family with two kids", "a solo traveller", "two friends on a budget",
       "retired parents")
VISA = [
    ("Do I need a visa to transit through Shanghai for 48 hours on a {p} passport?",
     "No visa is needed with an onward ticket to a third country: {p} passport holders can "
     "use the 240-hour visa-free transit at Shanghai."),
    ("Can I pay with a {p} credit card through Alipay?",
     "Yes. Alipay accepts Visa and Mastercard cards issued abroad; payments under 200 CNY "
     "have no service fee."),
    ("What do I need to check in to a hotel in China with a {p} passport?",
     "Your passport with a valid visa or entry stamp; hotels register foreign guests, so the "
     "booking name must match the passport."),
    ("Can I take the high-speed train with a {p} passport?",
     "Yes. Book with your passport number and show the passport at the gate; foreign "
     "passports can be scanned at most stations."),
    ("Is travel insurance required for a {p} visitor?",
     "It is not required for entry, but it is recommended; check that it covers medical "
     "evacuation if you go to Tibet or the mountains."),
]
PASSPORTS = ("US", "UK", "German", "French", "Australian", "Canadian", "Japanese", "Brazilian")
AIRPORTS = (("SHA", "CTU"), ("PEK", "CAN"), ("PVG", "XIY"), ("CTU", "LXA"), ("SZX", "KMG"),
            ("HGH", "PEK"), ("XMN", "SHA"), ("CAN", "KWL"), ("PEK", "HRB"), ("CKG", "PVG"))
PRODUCTS = [
    ("stainless steel insulated water bottle {n}ml with logo MOQ {m}", {
        "category": "drinkware", "material": "stainless steel", "capacity_ml": "{n}",
        "customization": "logo", "moq": "{m}"}),
    ("usb-c {n}w gan charger ce fcc certified moq {m}", {
        "category": "chargers", "connector": "USB-C", "power_w": "{n}", "technology": "GaN",
        "moq": "{m}"}),
    ("led grow light full spectrum {n}w for greenhouse moq {m}", {
        "category": "lighting", "type": "grow light", "power_w": "{n}",
        "application": "greenhouse", "moq": "{m}"}),
    ("cotton t-shirt {n}gsm oversized blank wholesale moq {m}", {
        "category": "apparel", "material": "cotton", "weight_gsm": "{n}", "moq": "{m}"}),
    ("bamboo cutting board set of {k} with juice groove moq {m}", {
        "category": "kitchenware", "material": "bamboo", "pieces": "{k}", "moq": "{m}"}),
    ("solar panel {n}w monocrystalline for rooftop moq {m}", {
        "category": "energy", "type": "solar panel", "power_w": "{n}", "cell": "monocrystalline",
        "moq": "{m}"}),
]
ROUTES = [("solar inverter {n}kw hybrid", "energy"),
          ("dog harness no pull size {s}", "pet_supplies"),
          ("ceramic mugs custom print {n}oz", "drinkware"),
          ("excavator bucket teeth {s}", "machinery"),
          ("hoodie fleece {s} bulk", "apparel"),
          ("cat scratching post {n}cm", "pet_supplies"),
          ("lithium battery {n}kwh home storage", "energy"),
          ("hydraulic pump {n}cc", "machinery")]
REWRITES = [("cheap phone case iphone 16 pro max magsafe clear pls",
             "clear MagSafe case for iPhone 16 Pro Max"),
            ("that yoga mat that doesnt slip thick one", "thick non-slip yoga mat"),
            ("shoes for running but wide feet men 44", "wide men's running shoes size 44"),
            ("tent 4 people waterproof not too heavy", "lightweight waterproof 4-person tent"),
            ("kids bike 16 inch with the little wheels", "16-inch kids bike with training wheels")]
SEARCH_SYSTEM = ("You extract structured product attributes from a buyer's query for a B2B "
                 "marketplace. Answer with JSON only.")
FLIGHT_TOOL = {"type": "function", "function": {"name": "search_flights", "parameters": {
    "type": "object", "required": ["origin", "destination", "date"], "properties": {
        "origin": {"type": "string"}, "destination": {"type": "string"},
        "date": {"type": "string"}, "cabin": {"type": "string"}}}}}
HOTEL_TOOL = {"type": "function", "function": {"name": "search_hotels", "parameters": {
    "type": "object", "required": ["city", "check_in", "nights"], "properties": {
        "city": {"type": "string"}, "check_in": {"type": "string"},
        "nights": {"type": "integer"}, "max_price_cny": {"type": "integer"}}}}}


def line(i: int, segment: str, messages: list, reference, answer: str | None, *,
         tools: list | None = None, call: tuple[str, dict] | None = None,
         response_format: dict | None = None) -> dict:
    request: dict = {"model": "deepseek-reasoner", "messages": messages}
    if tools:
        request["tools"] = tools
    if response_format:
        request["response_format"] = response_format
    reasoning = "Let me think about what the user needs and answer concisely."
    message: dict = {"role": "assistant", "content": answer, "reasoning_content": reasoning}
    finish = "stop"
    if call:
        message["tool_calls"] = [{"id": f"call_{i}", "type": "function", "function": {
            "name": call[0], "arguments": json.dumps(call[1])}}]
        finish = "tool_calls"
    prompt_chars = sum(len(m["content"]) for m in messages)
    out_chars = len(answer or "") + len(json.dumps(call[1]) if call else "")
    when = START + timedelta(minutes=7 * i)
    return {"id": f"{segment}-{i:04d}", "segment": segment, "request": request,
            "reference": reference, "timestamp": when.isoformat(),
            "response": {"object": "chat.completion", "model": "deepseek-reasoner",
                         "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                         "usage": {"prompt_tokens": prompt_chars // 4 + 4 * len(messages),
                                   "completion_tokens": out_chars // 4 + 125,
                                   "completion_tokens_details": {"reasoning_tokens": 125}}},
            "latency_ms": RNG.randint(2500, 9000)}


def travel(start: int) -> list[dict]:
    rows, i = [], start
    cities = list(CITIES)
    for k in range(80):
        city = cities[k % len(cities)]
        a, b, c, season, food = CITIES[city]
        days = 2 + k % 3
        month = ("March", "April", "May", "June", "September", "October", "November")[k % 7]
        prompt = f"Plan {days} days in {city} for {WHO[k % len(WHO)]} in {month}."
        ref = (f"Day 1: {a}. Day 2: {b}." + (f" Day 3: {c}." if days > 2 else "")
               + f" Best season: {season}. Try {food}.")
        rows.append(line(i, "itinerary", [{"role": "system", "content": TRAVEL_SYSTEM},
                                          {"role": "user", "content": prompt}], ref, ref))
        i += 1
    for k in range(40):
        question, answer = VISA[k % len(VISA)]
        p = PASSPORTS[k % len(PASSPORTS)]
        rows.append(line(i, "visa_faq", [{"role": "system", "content": TRAVEL_SYSTEM},
                                         {"role": "user", "content": question.format(p=p)}],
                         answer.format(p=p), answer.format(p=p)))
        i += 1
    for k in range(60):
        origin, dest = AIRPORTS[k % len(AIRPORTS)]
        date = (START + timedelta(days=20 + k)).date().isoformat()
        cabin = "business" if k % 4 == 0 else "economy"
        args = {"origin": origin, "destination": dest, "date": date, "cabin": cabin}
        messages = [{"role": "system", "content": TRAVEL_SYSTEM},
                    {"role": "user", "content": f"Find a {cabin} flight from {origin} to {dest} "
                                                f"on {date}."}]
        if k % 5 == 0:  # a multi-turn conversation
            messages[1:1] = [{"role": "user", "content": f"I need to get to {dest}."},
                             {"role": "assistant", "content": "Sure. From where, and when?"}]
        rows.append(line(i, "flight_search", messages,
                         {"tool_calls": [{"name": "search_flights", "arguments": args}]}, None,
                         tools=[FLIGHT_TOOL, HOTEL_TOOL], call=("search_flights", args)))
        i += 1
    for k in range(60):
        city = cities[(k * 5) % len(cities)]
        check_in = (START + timedelta(days=15 + k)).date().isoformat()
        nights = 1 + k % 4
        args = {"city": city, "check_in": check_in, "nights": nights}
        prompt = f"A hotel in {city} for {nights} night(s) from {check_in}."
        if k % 3 == 0:
            args["max_price_cny"] = 400 + 100 * (k % 6)
            prompt += f" Under {args['max_price_cny']} yuan."
        rows.append(line(i, "hotel_search", [{"role": "system", "content": TRAVEL_SYSTEM},
                                             {"role": "user", "content": prompt}],
                         {"tool_calls": [{"name": "search_hotels", "arguments": args}]}, None,
                         tools=[FLIGHT_TOOL, HOTEL_TOOL], call=("search_hotels", args)))
        i += 1
    return rows


def search(start: int) -> list[dict]:
    rows, i = [], start
    for k in range(120):
        template, attrs = PRODUCTS[k % len(PRODUCTS)]
        q = k // len(PRODUCTS)  # distinct values per product type: no accidental duplicates
        values = {"n": str((100, 250, 400, 500, 650, 1000)[q % 6]),
                  "m": str((50, 100, 500, 1000)[q // 6 % 4]), "k": str(2 + q % 6)}
        query = template.format(**values)
        ref = {key: (int(v.format(**values)) if v.startswith("{") else v)
               for key, v in attrs.items()}
        fmt = {"type": "json_object"} if k % 2 else {"type": "json_schema", "json_schema": {
            "name": "attributes", "schema": {"type": "object", "required": ["category"],
                                             "properties": {"category": {"type": "string"}}}}}
        text = json.dumps(ref)
        rows.append(line(i, "attribute_extraction", [{"role": "system", "content": SEARCH_SYSTEM},
                                                     {"role": "user", "content": query}],
                         text, text, response_format=fmt))
        i += 1
    for k in range(80):
        template, label = ROUTES[k % len(ROUTES)]
        q = k // len(ROUTES)
        query = template.format(n=(3, 5, 11, 15, 20, 80, 120, 150, 200, 300)[q % 10],
                                s=("S", "M", "L", "XL", "XXL", "PC200", "PC300", "ZX200",
                                   "2-pack", "4-pack")[q % 10])
        rows.append(line(i, "category_routing", [
            {"role": "system", "content": "Route the query to one category id: energy, "
             "pet_supplies, drinkware, machinery, apparel, other. Answer with the id only."},
            {"role": "user", "content": query}], label, label))
        i += 1
    for k in range(40):
        messy, clean = REWRITES[k % len(REWRITES)]
        rows.append(line(i, "query_rewrite", [
            {"role": "system", "content": "Rewrite the buyer's query as a clean search phrase."},
            {"role": "user", "content": messy + ("" if k < 5 else f" (#{k})")}], clean, clean))
        i += 1
    return rows


if __name__ == "__main__":
    rows = travel(0)
    rows += search(len(rows))
    RNG.shuffle(rows)  # production logs interleave traffic
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} records to {OUT}")
