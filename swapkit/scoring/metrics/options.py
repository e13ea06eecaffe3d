"""Parsing metric options from suites: each metric declares a pydantic model (extra=forbid)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from swapkit.errors import ConfigError

__all__ = ["NoOptions", "parse_options"]

M = TypeVar("M", bound=BaseModel)


class NoOptions(BaseModel):
    """For metrics that take no options."""

    model_config = ConfigDict(extra="forbid")


def parse_options(metric: str, model: type[M], options: dict[str, Any]) -> M:
    """Validate ``options`` for ``metric``; a clear ConfigError names the bad key."""
    try:
        return model.model_validate(options)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: "
            f"{'unknown option' if e['type'] == 'extra_forbidden' else e['msg']}"
            for e in err.errors(include_url=False))
        valid = ", ".join(model.model_fields) or "(none)"
        raise ConfigError(f"metric {metric}: {problems}",
                          hint=f"options of {metric}: {valid}") from None
