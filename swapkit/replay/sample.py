"""The replay's sample in the run store: drawn once (seeded, stratified, in replay order),
kept while neither the config nor the log file changes, read back for the jobs."""

from __future__ import annotations

from swapkit.config import SwapConfig, run_identity
from swapkit.errors import ConfigError
from swapkit.ingest.filtering import describe_drops
from swapkit.ingest.sampling import noise_subset, sample_log
from swapkit.store import RunStore
from swapkit.support.hashing import content_hash

__all__ = ["prepare_sample", "sample_fingerprint"]


def sample_fingerprint(config: SwapConfig) -> str | None:
    """What the stored sample was drawn from: the config (what the run measures) and the
    log file as it is on disk (None when the log cannot be looked at)."""
    files = [config.log.path, *([config.log.output] if config.log.output else [])]
    if not all(path.is_file() for path in files):  # a dataset folder: files change inside
        return None
    try:
        stats = [(str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files]
    except OSError:
        return None
    return content_hash([run_identity(config.model_dump(mode="json")), stats])


def prepare_sample(config: SwapConfig, store: RunStore) -> tuple[int, int]:
    """Draw the sample and store it (with the config); (records, noise records). A store
    whose sample was drawn from the same config and the same log file (size and time of
    its last change) keeps it: a resumed run does not read the log again.

    The sample's records go through a temporary file (:class:`SampleSpill`) to the store:
    memory holds their keys, not the records."""
    fingerprint = sample_fingerprint(config)
    if fingerprint is not None and store.get_meta("sample_fingerprint") == fingerprint:
        count = store.record_count()
        if count:
            noise = store.db.execute("SELECT count(*) FROM records WHERE noise = 1").fetchone()
            return count, int(noise[0])
    sample = sample_log(config.log, spill=True)
    assert sample.spill is not None
    if sample.filtered_out and not len(sample):
        sample.spill.close()
        raise ConfigError(
            f"log.filter kept none of the {sample.seen} calls in {config.log.path}: filtered "
            f"{describe_drops(sample.filtered_by)}",
            hint="`swapkit inspect swap.yaml` shows what each condition removes; loosen it")
    try:
        endpoint_baseline = config.baseline.recorded is False
        noise = noise_subset(sample.drawn, config.noise.subset, config.log.sample.seed) if (
            config.noise.enabled and endpoint_baseline) else set()
        count = store.save_sample_rows(
            ((d.id, d.request_hash, d.segment, d.conversation_id, text)
             for d, text in sample.spill.texts(sample.drawn)), noise)
    finally:
        sample.spill.close()
    # What the filter removed, its relative bounds resolved: the run says which calls it chose.
    store.set_meta("filter", {
        "since": sample.since.isoformat() if sample.since else None,
        "until": sample.until.isoformat() if sample.until else None,
        "filtered_out": sample.filtered_out, "filtered_by": sample.filtered_by})
    config_json = config.model_dump(mode="json")
    store.set_meta("config", config_json)
    # The run id (which seeds every bootstrap) depends on what the run measures, not on
    # where its outputs go or where it executes: the same migration decides identically.
    store.set_meta("config_hash", content_hash(run_identity(config_json)))
    from swapkit.support.version import __version__

    store.set_meta("swapkit_version", __version__)
    store.set_meta("sample_fingerprint", fingerprint)
    return count, len(noise)
