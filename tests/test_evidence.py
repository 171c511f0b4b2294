"""RecordingFetcher: what each x5u served, kept with its time and digest (a seam test;
the real HTTPS path is in test_cli_fetch.py)."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from shakentrace.errors import ConfigurationError, FetchError
from shakentrace.evidence import LOG_NAME, RecordingFetcher
from shakentrace.fetch import DirectoryFetcher, StaticFetcher

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URL = "https://cr.example/certs/sp-1234.pem"
BODY = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _log(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / LOG_NAME).read_text().splitlines()]


def test_a_body_is_kept_where_directory_fetcher_finds_it(tmp_path: Path) -> None:
    fetcher = RecordingFetcher(StaticFetcher({URL: BODY}), tmp_path / "kept", clock=lambda: WHEN)
    assert fetcher.fetch(URL) == BODY
    assert DirectoryFetcher(tmp_path / "kept").fetch(URL) == BODY
    assert _log(tmp_path / "kept") == [
        {
            "url": URL,
            "fetched_at": "2026-03-01T12:00:00+00:00",
            "sha256": hashlib.sha256(BODY).hexdigest(),
            "bytes": len(BODY),
            "file": quote(URL, safe=""),
        }
    ]
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == sorted(
        [LOG_NAME, quote(URL, safe="")]
    )  # no temporary file left behind


def test_a_refusal_is_logged_and_raised_as_it_was(tmp_path: Path) -> None:
    fetcher = RecordingFetcher(StaticFetcher({}), tmp_path, clock=lambda: WHEN)
    with pytest.raises(FetchError) as raised:
        fetcher.fetch(URL)
    (record,) = _log(tmp_path)
    assert record == {
        "url": URL,
        "fetched_at": "2026-03-01T12:00:00+00:00",
        "error": raised.value.code,
        "message": raised.value.message,
    }


def test_a_url_too_long_for_a_file_name_is_logged_not_kept(tmp_path: Path) -> None:
    url = "https://cr.example/" + "a" * 300 + ".pem"
    fetcher = RecordingFetcher(StaticFetcher({url: BODY}), tmp_path, clock=lambda: WHEN)
    assert fetcher.fetch(url) == BODY
    (record,) = _log(tmp_path)
    assert (record["file"], record["sha256"]) == (None, hashlib.sha256(BODY).hexdigest())
    assert [p.name for p in tmp_path.iterdir()] == [LOG_NAME]


def test_a_folder_that_cannot_be_made_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigurationError, match="cannot keep fetched chains in"):
        RecordingFetcher(StaticFetcher({}), tmp_path / "file" / "kept")


def _fetch_many(folder: str, worker: int) -> None:
    urls = {f"https://cr.example/{worker}-{n}.pem": BODY * (n + 1) for n in range(50)}
    fetcher = RecordingFetcher(StaticFetcher(urls), folder)
    for url in urls:
        fetcher.fetch(url)


def test_processes_sharing_a_folder_keep_whole_lines_and_files(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_fetch_many, [str(tmp_path)] * 4, range(4)))
    log = _log(tmp_path)  # every line whole JSON
    assert len(log) == 200
    for record in log:
        kept = (tmp_path / str(record["file"])).read_bytes()
        assert hashlib.sha256(kept).hexdigest() == record["sha256"]


def test_threads_keeping_one_url_at_once_all_get_the_body(tmp_path: Path) -> None:
    # One process, 8 threads, one URL, no cache in front: they all wrote one
    # ".<name>.<pid>.tmp" and renamed it away from each other (ConfigurationError,
    # which a Verifier reported as cert-unavailable for a good call).
    fetcher = RecordingFetcher(StaticFetcher({URL: BODY * 100}), tmp_path)
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def fetch() -> None:
        barrier.wait()
        for _ in range(50):
            try:
                assert fetcher.fetch(URL) == BODY * 100
            except BaseException as exc:  # counted below
                failures.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(_log(tmp_path)) == 400
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([LOG_NAME, quote(URL, safe="")])
