"""Extraction and normalization on answers as models really write them."""

from __future__ import annotations

import pytest

from swapkit.errors import ConfigError
from swapkit.scoring.extract import ExtractSpec, extract, extract_text, parse_extract
from swapkit.scoring.normalize import equal, normalize, parse_number

from .metrichelp import answer


def spec(value: object, **kw: str) -> ExtractSpec:
    return parse_extract(value, **kw)  # type: ignore[arg-type]


FENCED = 'Sure! Here is the result:\n```json\n{"reasoning": "3 + 4 = 7", "answer": 7}\n```\n'
PROSE = 'The final JSON is {"answer": "B", "why": "see {braces} in a string"} - hope it helps.'
TWO = 'First try: {"answer": 1}\nCorrected: {"answer": 2}'


@pytest.mark.parametrize(("text", "extractor", "expected"), [
    (FENCED, {"json": "answer"}, "7"),
    (FENCED, "json", '{"answer":7,"reasoning":"3 + 4 = 7"}'),
    ("```\n[1, 2, 3]\n```", "json", "[1,2,3]"),
    (PROSE, {"json": "answer"}, "B"),
    (PROSE, {"json": "why"}, "see {braces} in a string"),
    (TWO, {"json": "answer"}, "1"),
    ('{"items": [{"name": "a"}, {"name": "b"}]}', {"json": "items.1.name"}, "b"),
    ('{"items": [{"name": "a"}, {"name": "b"}]}', {"json": "items[0].name"}, "a"),
    ('not json {broken: yes}', "json", None),
    ('{"answer": 1}', {"json": "missing"}, None),
    ("<think>maybe 3</think><answer> 42 </answer>", {"tag": "answer"}, "42"),
    ("<answer>1</answer> then <answer>2</answer>", {"tag": "answer"}, "2"),
    ("Final answer: 18 apples", {"regex": r"Final answer:\s*(?P<answer>\d+)"}, "18"),
    ("x = 3, y = 4, so the total is 1,234.50 dollars.", "last_number", "1,234.50"),
    ("It costs $18.", "last_number", "$18"),
    ("Three quarters: 3/4", "last_number", "3/4"),
    ("The share is 75%.", "last_number", "75%"),
    ("Arabic digits: ١٨", "last_number", "18"),
    ("Full width: １８", "last_number", "18"),
    ("No numbers here.", "last_number", None),
    ("Let me think.\n\n**Paris**\n", "last_line", "Paris"),
    ("The answer is (B).", "choice", "B"),
    ("Answer: c", "choice", "C"),
    ("I pick **D** because...", "choice", "D"),
    ("A is wrong, B is wrong.\nC.", "choice", "C"),
    ("答案：B", "choice", "B"),
    ("Nothing to choose.", "choice", None),
])
def test_extractors_on_real_answer_shapes(text: str, extractor: object,
                                          expected: str | None) -> None:
    assert extract_text(text, spec(extractor)) == expected


def test_occurrence_and_source() -> None:
    assert extract_text(TWO, spec({"json": "answer"}, occurrence="last")) == "2"
    assert extract_text("1 then 2 then 3", spec("last_number", occurrence="first")) == "1"
    completion = answer("The answer is 5.", reasoning="I first thought 4, then 6.")
    assert extract(completion, spec("last_number")) == "5"  # reasoning is never searched ...
    assert extract(completion, spec("last_number", source="reasoning")) == "6"  # unless asked
    assert extract(completion, spec("last_number", source="both")) == "5"


@pytest.mark.parametrize("bad", ["jsn", {"json": ""}, {"tag": "a", "json": "b"}, 3,
                                 {"regex": "("}, {"last_number": "x"}])
def test_bad_extractors_are_config_errors_that_say_what_to_write(bad: object) -> None:
    with pytest.raises(ConfigError) as info:
        spec(bad)
    assert "extract" in info.value.message


@pytest.mark.parametrize(("a", "b", "steps"), [
    ("1,234.50", "1234.5", ["number"]),
    ("$18", "18", ["number"]),
    ("18.0", "18", ["number"]),
    ("18 apples", "18", ["number"]),
    ("3/4", "0.75", ["number"]),
    ("75%", "75", ["number"]),
    ("1e3", "1000", ["number"]),
    ("−3", "-3", ["number"]),
    ("١٨", "18", ["number"]),
    ("\\frac{3}{4}", "0.75", ["math"]),
    ("$\\sqrt{4}$", "2", ["math"]),
    ("The Paris.", "paris", ["lower", "punctuation", "articles", "whitespace"]),
    ("ＡＢＣ", "ABC", ["unicode"]),
    ('{"b": 1, "a": [1, 2]}', '{"a":[1,2],"b":1}', ["json"]),
    ("red, green, blue", '["blue", "red", "green"]', ["set"]),
    ("b; a", "a\nb", ["set", "strip"]),
])
def test_normalizers_make_the_same_answer_equal(a: str, b: str, steps: list[str]) -> None:
    assert equal(a, b, steps)


@pytest.mark.parametrize(("a", "b", "steps"), [
    ("1.234", "1234", ["number"]),  # a dot is a decimal point: "1.234" is 1.234
    ("18", "18.5", ["number"]),
    ("3/4", "0.7", ["math"]),
    ("red, green", "red, blue", ["set"]),
    ("Paris", "London", ["lower"]),
])
def test_normalizers_keep_different_answers_apart(a: str, b: str, steps: list[str]) -> None:
    assert not equal(a, b, steps)


def test_number_tolerance_and_parsing() -> None:
    assert equal("0.3333", "1/3", ["number"], tolerance=1e-3)
    assert not equal("0.3333", "1/3", ["number"])
    assert parse_number("about 1,234,567 people") == 1234567
    assert parse_number("no number") is None
    assert normalize("nothing numeric", ["number", "lower"]) == "nothing numeric"
