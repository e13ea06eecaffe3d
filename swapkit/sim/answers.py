"""Deterministic simulated answers: controlled paraphrases of a reference or recorded answer.

Two random streams drive every answer: one from (profile seed, prompt) for the model's
systematic behaviour (how it words this prompt, whether it refuses it), one from
(profile seed, prompt, sample index) for sampling noise, so two samples of the same
model differ a little and a rerun reproduces both exactly.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from swapkit.records import last_user_text
from swapkit.sim.profile import Behaviour
from swapkit.support.hashing import content_hash

__all__ = ["SimAnswer", "Source", "make_answer", "rng_for"]

SYNONYMS = {
    "best": "finest", "good": "great", "great": "excellent", "big": "large", "small": "little",
    "quick": "fast", "fast": "quick", "near": "close to", "cheap": "affordable",
    "buy": "purchase", "walk": "stroll", "visit": "see", "see": "visit", "book": "reserve",
    "need": "require", "also": "as well", "go": "head", "take": "catch", "about": "around",
    "many": "lots of", "very": "really", "start": "begin", "help": "assist", "find": "locate",
    "trip": "journey", "hotel": "hotel", "ticket": "ticket", "use": "use",
}
FILLERS = ("really", "also", "just", "usually", "generally", "certainly")
OFF_TOPIC = ("weather", "banana", "printer", "violin", "meeting", "glacier", "invoice",
             "orbit", "pillow", "lantern")
EXTRA_SENTENCES = (
    "Let me know if you need anything else.",
    "I hope this helps with your plans.",
    "Prices and opening times can change, so check before you go.",
    "You can also ask me to compare other options.",
)
REFUSAL = "I'm sorry, but I can't help with that request."
CHINESE = ("根据您的问题，我的建议如下。", "请提前预订，并留意最新的开放时间。",
           "如需更多帮助，请随时告诉我。")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def rng_for(*parts: Any) -> random.Random:
    """A random stream determined by ``parts`` alone."""
    return random.Random(int(content_hash([str(p) for p in parts])[:16], 16))


@dataclass
class Source:
    """What the simulator knows about a prompt from the logs it was given."""

    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    segment: str | None = None


@dataclass
class SimAnswer:
    """One simulated completion before it is put on the wire."""

    content: str
    reasoning: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    refused: bool = False


def _keywords(text: str, k: int = 4) -> list[str]:
    words = [w.lower() for w in WORD.findall(text) if len(w) > 3]
    return list(dict.fromkeys(words))[:k] or ["your", "question"]


def paraphrase(text: str, drift: float, rng: random.Random) -> str:
    """Reword ``text``: each word changes with probability ``drift`` (0 keeps it verbatim).

    Labels and other answers of three words or fewer are kept as they are unless answers
    drift a lot: models rarely reword a category id.
    """
    if drift <= 0 or (drift < 0.3 and len(text.split()) <= 3):
        return text
    out: list[str] = []
    for word in text.split(" "):
        roll = rng.random()
        if roll >= drift or not word:
            out.append(word)
            continue
        bare = word.lower().strip(".,;:!?")
        op = rng.random()
        if op < 0.5 and bare in SYNONYMS:
            out.append(word.lower().replace(bare, SYNONYMS[bare]))
        elif op < 0.65 and out:
            continue  # drop the word
        elif op < 0.9 or drift < 0.2:
            out.extend([rng.choice(FILLERS), word])
        else:
            out.append(rng.choice(OFF_TOPIC))  # a real error, only when answers drift a lot
    return " ".join(out)


def _resize(text: str, verbosity: float, rng: random.Random) -> str:
    if verbosity > 1:
        extra = round((verbosity - 1) * 2)
        return " ".join([text, *rng.sample(EXTRA_SENTENCES, min(extra, len(EXTRA_SENTENCES)))])
    if verbosity < 1:
        sentences = re.split(r"(?<=[.!?])\s+", text)
        keep = max(1, round(len(sentences) * verbosity))
        return " ".join(sentences[:keep])
    return text


def _wants_json(request: dict[str, Any]) -> bool:
    response_format = request.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") in (
        "json_object", "json_schema")


def _perturb_json(value: Any, rate: float, rng: random.Random) -> Any:
    if isinstance(value, dict):
        return {k: _perturb_json(v, rate, rng) for k, v in value.items()}
    if rng.random() >= rate:
        return value
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * 2 if value else 1
    if isinstance(value, str):
        return rng.choice(OFF_TOPIC)
    if isinstance(value, list):
        return value[:-1]
    return value


def _json_answer(source: Source, request: dict[str, Any], b: Behaviour,
                 systematic: random.Random, sample: random.Random) -> str:
    try:
        base = json.loads(source.text) if source.text else None
    except json.JSONDecodeError:
        base = None
    if not isinstance(base, dict):
        base = {"answer": paraphrase(source.text or " ".join(
            _keywords(last_user_text(request))), 1 - b.quality, systematic)}
    value = _perturb_json(base, b.json_field_error_rate, systematic)
    text = json.dumps(value, ensure_ascii=False)
    if systematic.random() < b.json_break_rate:
        # Broken the way real models break JSON: cut short, or wrapped in prose.
        text = text[: max(1, len(text) * 2 // 3)] if sample.random() < 0.5 else (
            f"Here is the JSON you asked for:\n```json\n{text}\n```")
    return text


def _tool_calls(source: Source, request: dict[str, Any], b: Behaviour,
                systematic: random.Random) -> list[dict[str, Any]]:
    tools = [t.get("function", {}) for t in request.get("tools") or [] if isinstance(t, dict)]
    names = [t.get("name") for t in tools if t.get("name")]
    if source.tool_calls:
        call = source.tool_calls[0]
        name, arguments = call.get("name") or (names[0] if names else "tool"), call.get(
            "arguments") or "{}"
        try:
            args = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError:
            args = {}
    else:
        name = names[0] if names else "tool"
        schema = tools[0].get("parameters", {}) if tools else {}
        words = _keywords(last_user_text(request))
        args = {key: (1 if spec.get("type") == "integer" else words[i % len(words)])
                for i, (key, spec) in enumerate((schema.get("properties") or {}).items())
                if key in (schema.get("required") or [])}
    if systematic.random() < b.tool_error_rate:
        if len(names) > 1 and systematic.random() < 0.5:
            name = next(n for n in names if n != name) if name in names else names[0]
        else:
            args = _perturb_json(args, 0.5, systematic)
    return [{"name": name, "arguments": json.dumps(args, ensure_ascii=False)}]


def _reasoning(request: dict[str, Any], words: int, rng: random.Random) -> str:
    keys = _keywords(last_user_text(request), 6)
    pool = [*keys, "so", "the", "user", "wants", "check", "options", "then", "answer",
            "clearly", "first", "consider"]
    return "The user asks about " + " ".join(keys) + ". " + " ".join(
        rng.choice(pool) for _ in range(max(0, words - len(keys) - 4)))


def make_answer(request: dict[str, Any], source: Source, b: Behaviour, seed: int,
                prompt_key: str, sample_index: int) -> SimAnswer:
    """The simulated answer of a model with behaviour ``b`` to ``request``."""
    systematic = rng_for(seed, prompt_key)
    sample = rng_for(seed, prompt_key, sample_index)
    thinks = b.reasoning not in ("none", "think_empty")
    reasoning = _reasoning(request, b.reasoning_words, sample) if thinks else ""
    if systematic.random() < b.refusal_rate:
        return SimAnswer(REFUSAL, reasoning, [], "stop", refused=True)
    if b.constant_answer is not None:
        return SimAnswer(b.constant_answer, reasoning, [], "stop")
    tools_allowed = bool(request.get("tools")) and request.get("tool_choice") != "none"
    if tools_allowed and (source.tool_calls or not source.text):
        return SimAnswer("", reasoning, _tool_calls(source, request, b, systematic),
                         "tool_calls")
    if _wants_json(request):
        content = _json_answer(source, request, b, systematic, sample)
    elif systematic.random() < b.language_switch_rate:
        content = "".join(systematic.sample(CHINESE, 2))
    else:
        base = source.text or (
            f"Here is what I found about {' '.join(_keywords(last_user_text(request)))}. "
            + EXTRA_SENTENCES[systematic.randrange(len(EXTRA_SENTENCES))])
        content = paraphrase(base, 1 - b.quality, systematic)
        content = paraphrase(content, b.sample_noise, sample)
        content = _resize(content, b.verbosity, systematic)
    finish = "stop"
    if sample.random() < b.truncation_rate:
        finish = "length"
        if reasoning and sample.random() < 0.5:
            return SimAnswer("", reasoning[: len(reasoning) // 2], [], finish)
        content = content[: max(1, len(content) // 2)]
    return SimAnswer(content, reasoning, [], finish)
