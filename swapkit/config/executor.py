"""Where a run's work runs: ``executor:`` in swap.yaml (docs/scale.md).

``local`` (the default) runs everything in this process. ``ray`` runs the replay, the
embeddings and the per-record metrics on a Ray cluster; the driver (this process) stays
the only writer of the run store and makes the decision. Either way the same config
decides the same::

    executor: ray                      # Ray's own default: RAY_ADDRESS, else a local instance
    executor:
      kind: ray
      address: auto                    # an existing cluster (or ray://head:10001)
      replay: {shards: 8}
      embeddings: {actors: 4, num_gpus: 1}

Where a run executes never changes what it measures: ``executor`` and
``embeddings.device`` stay out of the run's identity (:func:`run_identity`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["EXECUTORS", "ExecutorConfig", "RayEmbeddingsStage", "RayReplayStage",
           "run_identity"]

EXECUTORS = ("local", "ray")
# runtime_env fields Ray shows in its dashboard and job logs that could carry a secret.
_SHOWN_ENV = frozenset({"env_vars"})


class RayReplayStage(BaseModel):
    """How the replay is spread over the cluster."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    shards: int | None = Field(default=None, ge=1, le=4096, description="replay shards (Ray "
                               "actors), each running the async replay for the records whose "
                               "hash falls in it; default: the cluster's CPUs, at most 64")
    num_cpus: float = Field(default=1.0, ge=0, le=256, description="CPUs each shard reserves")


class RayEmbeddingsStage(BaseModel):
    """How answers are embedded on the cluster (Ray Data, one model per actor)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    actors: int = Field(default=2, ge=1, le=1024, description="encoder actors (each loads the "
                        "model once)")
    num_cpus: float = Field(default=1.0, ge=0, le=256, description="CPUs each actor reserves "
                            "(and encodes with)")
    num_gpus: float | None = Field(default=None, ge=0, le=64, description="GPUs each actor "
                                   "reserves; default: 1 when the cluster has GPUs and "
                                   "embeddings.device is not cpu, else 0")
    batch_size: int = Field(default=256, ge=1, le=65_536, description="texts per Ray Data "
                            "batch")


class ExecutorConfig(BaseModel):
    """``executor:``: ``local`` (default) or ``ray``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["local", "ray"] = Field(default="local", description="local or ray")
    address: str | None = Field(
        default=None, description="ray: auto (an existing cluster, else an error), "
        "ray://HOST:PORT (Ray Client), HOST:PORT, or unset: Ray's default (RAY_ADDRESS, else "
        "a local instance started for the run)")
    num_cpus: int | None = Field(default=None, ge=1, le=4096, description="ray, local instance "
                                 "only: the CPUs it may use (default: all)")
    runtime_env: dict[str, Any] | None = Field(
        default=None, description="ray: the job's runtime_env (pip, py_modules, working_dir, "
        "...); never env_vars: Ray shows them in its dashboard and logs, so keys go in the "
        "workers' own environment")
    replay: RayReplayStage = Field(default_factory=RayReplayStage)
    embeddings: RayEmbeddingsStage = Field(default_factory=RayEmbeddingsStage)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        """``executor: ray`` is ``executor: {kind: ray}``."""
        return {"kind": data} if isinstance(data, str) else data

    @field_validator("runtime_env")
    @classmethod
    def _no_shown_env(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        shown = sorted(_SHOWN_ENV & set(value or {}))
        if shown:
            raise ValueError(f"runtime_env.{shown[0]} is not accepted: Ray shows it in its "
                             "dashboard and job logs. Set environment variables (keys above "
                             "all) in the workers' own environment (docs/scale.md)")
        return value

    @property
    def ray(self) -> bool:
        """Whether the run executes on Ray."""
        return self.kind == "ray"


def run_identity(config_json: dict[str, Any]) -> dict[str, Any]:
    """What a run measures, from a config's JSON: everything but where it writes (run_dir,
    report) and where it executes (executor, embeddings.device). It names the run (its id
    seeds every bootstrap): the same migration run elsewhere decides identically."""
    identity = {k: v for k, v in config_json.items()
                if k not in ("run_dir", "report", "executor")}
    embeddings = identity.get("embeddings")
    if isinstance(embeddings, dict) and "device" in embeddings:
        identity["embeddings"] = {k: v for k, v in embeddings.items() if k != "device"}
    return identity
