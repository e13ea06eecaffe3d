from __future__ import annotations

from pathlib import Path

import pytest

from swapkit.config import Suite, check_environment, load_config
from swapkit.errors import ConfigError

from .conftest import EXAMPLES

GOOD = """\
name: demo
log:
  path: logs/chat.jsonl
baseline:
  model: r1
  base_url: http://127.0.0.1:9/v1
  api_key_env: BASE_KEY
candidate:
  recorded: true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "swap.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.log.path == tmp_path / "logs/chat.jsonl"
    assert config.report.dir == tmp_path / "swapkit-report"
    assert config.run_dir == tmp_path / "swapkit-runs" / "demo"
    assert config.candidate.display_name == "recorded"


def test_unknown_key_names_line_field_and_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("  api_key_env: BASE_KEY", "  api_kye_env: BASE_KEY")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert "swap.yaml:7" in message
    assert "baseline.api_kye_env: unknown key (did you mean 'api_key_env'?)" in message


def test_missing_required_and_wrong_type(tmp_path: Path) -> None:
    text = GOOD.replace("  model: r1\n", "").replace("name: demo", "name: demo\nnoise: {subset: x}")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert "model required for an endpoint target" in message
    assert "noise.subset" in message and "swap.yaml:2" in message


def test_env_references(tmp_path: Path) -> None:
    text = GOOD.replace("http://127.0.0.1:9/v1", "${BASE_URL:-http://localhost/v1}").replace(
        "model: r1", "model: ${MODEL}")
    config = load_config(write(tmp_path, text), env={"MODEL": "qwen3"})
    assert config.baseline.model == "qwen3"
    assert config.baseline.base_url == "http://localhost/v1"
    with pytest.raises(ConfigError, match=r"swap.yaml:5: baseline.model refers to \$\{MODEL\}"):
        load_config(write(tmp_path, text), env={})


def test_api_key_env_must_be_a_name_not_a_key(tmp_path: Path) -> None:
    text = GOOD.replace("BASE_KEY", "sk-abcdef0123456789abcdef0123456789")
    with pytest.raises(ConfigError, match="looks like an API key itself") as info:
        load_config(write(tmp_path, text))
    assert "sk-abcdef" not in str(info.value)  # the would-be key is never echoed


def test_unset_api_key_env(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="BASE_KEY is not set"):
        check_environment(config, env={})
    check_environment(config, env={"BASE_KEY": "secret"})


def test_secrets_in_params_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("  api_key_env: BASE_KEY", "  params: {api_key: x}")
    with pytest.raises(ConfigError, match="params.api_key would put a secret"):
        load_config(write(tmp_path, text))


def test_inline_suite_errors_point_into_the_suite(tmp_path: Path) -> None:
    text = GOOD + "suite:\n  metrics: [similarity]\n  gates:\n    - {metric: x, margn: 1}\n"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert "suite.gates.0.margn: unknown key (did you mean 'margin'?)" in str(info.value)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="swap.yaml:2: not valid YAML"):
        load_config(write(tmp_path, "name: x\n  bad: [\n"))
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n"))


@pytest.mark.parametrize("example", ["travel-assistant", "product-search"])
def test_examples_load_with_their_suites(example: str) -> None:
    config = load_config(EXAMPLES / example / "swap.yaml", env={})
    assert isinstance(config.suite, Suite)
    assert config.log.path.exists()


def test_config_cannot_write_outside_its_folder(tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere"
    with pytest.raises(ConfigError, match="run_dir .* is outside the config's folder"):
        load_config(write(tmp_path, GOOD + f"run_dir: {outside}\n"))
    with pytest.raises(ConfigError, match="swap.yaml:10: report.dir"):
        load_config(write(tmp_path, GOOD + "report: {dir: ../../etc}\n"))
    inside = load_config(write(tmp_path, GOOD + "run_dir: runs/x\nreport: {dir: out}\n"))
    assert inside.run_dir == tmp_path / "runs" / "x"
