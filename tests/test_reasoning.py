import pytest

from swapkit.records import split_reasoning


@pytest.mark.parametrize(
    ("content", "field", "finish", "expected"),
    [
        ("plain answer", None, "stop", ("plain answer", None, False)),
        ("<think>why</think>\n\nanswer", None, "stop", ("answer", "why", False)),
        # DeepSeek-R1: no opening tag, only the closing one.
        ("thinking hard\n</think>\nanswer", None, "stop", ("answer", "thinking hard", False)),
        # Qwen3 non-thinking mode: an empty block.
        ("<think>\n\n</think>\n\nanswer", None, "stop", ("answer", "", False)),
        # Ran out of budget inside the reasoning.
        ("<think>still going", None, "length", ("", "still going", True)),
        ("", "long reasoning", "length", ("", "long reasoning", True)),
        # Structured field wins.
        ("answer", "the reasoning", "stop", ("answer", "the reasoning", False)),
        # Only the first closing tag ends the reasoning.
        ("a</think>b</think>c", None, "stop", ("b</think>c", "a", False)),
        (None, None, None, ("", None, False)),
    ],
)
def test_split_reasoning(content, field, finish, expected) -> None:
    assert tuple(split_reasoning(content, field, finish)) == expected
