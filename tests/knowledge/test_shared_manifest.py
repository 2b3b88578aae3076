"""Many hosts, one knowledge base: vectors on a real Chroma server, the manifest in PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from knowledge.errors import KnowledgeBaseOutOfStepError, ManifestUnavailableError
from knowledge.index import KnowledgeBase
from knowledge.retrieval import HybridRetriever
from knowledge.shared_manifest import SharedManifest
from tests.knowledge.test_index import ROWS
from tests.utils.databases import postgres_database, terminate_backend
from tests.utils.files import write_csv
from tests.utils.processes import ChromaServer, free_port

pytestmark = pytest.mark.postgres

MORE_ROWS = [
    [
        "m-1",
        "融资融券的门槛是多少？",
        "前20个交易日日均资产不低于50万元。",
        "两融门槛",
        "margin",
        "zh",
        "2026-01-05",
    ],
    [
        "m-2",
        "港股通怎么开通？",
        "资产不低于50万元并通过测评。",
        "开通港股通",
        "hk_connect",
        "zh",
        "2026-01-05",
    ],
]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma-data")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def manifest_database() -> Iterator[str]:
    with postgres_database() as url:
        yield make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "sources-a", tmp_path / "sources-b"
    first.mkdir()
    second.mkdir()
    write_csv(first / "faq.csv", ROWS)
    write_csv(second / "more.csv", MORE_ROWS)
    return first, second


def host(root: Path, e5, chroma: ChromaServer, database: str, name: str) -> KnowledgeBase:
    """A host of the deployment: its own (empty at first) state directory."""
    return KnowledgeBase(
        root / f"host-{name}" / "kb",
        e5,
        chroma_url=chroma.url,
        collection=collection_of(root),
        shared_manifest=database,
    )


def collection_of(root: Path) -> str:
    """One knowledge base per test on the shared server and database."""
    return f"desk-{hashlib.sha1(str(root).encode()).hexdigest()[:10]}"


def test_a_second_host_with_an_empty_state_directory_searches_the_shared_base(
    tmp_path, e5, chroma_server, manifest_database, folders
) -> None:
    first = host(tmp_path, e5, chroma_server, manifest_database, "a")
    first.ingest([folders[0]])
    second = host(tmp_path, e5, chroma_server, manifest_database, "b")
    second.check_in_step()
    assert len(second) == len(first) == len(ROWS)
    assert HybridRetriever(second).search("开户要带什么证件", k=3)[0].unit.id == "t-1"
    assert not (tmp_path / "host-b" / "kb" / "manifest.sqlite").exists()


def test_an_ingest_from_another_host_removes_nothing_and_every_host_sees_it(
    tmp_path, e5, chroma_server, manifest_database, folders
) -> None:
    first = host(tmp_path, e5, chroma_server, manifest_database, "a")
    first.ingest([folders[0]])
    searcher = HybridRetriever(first)
    assert searcher.search("开户要带什么证件", k=1)[0].unit.id == "t-1"
    second = host(tmp_path, e5, chroma_server, manifest_database, "b")
    report = second.ingest([folders[1]])
    assert report.embedded == 6 and report.removed == 0 and not report.failed
    stats = first.stats()
    assert stats["units"] == len(ROWS)  # not reloaded yet: the next search does it
    assert searcher.search("两融门槛是多少", k=1)[0].unit.id == "m-1"
    assert searcher.search("开户要带什么证件", k=1)[0].unit.id == "t-1"
    stats = first.stats()
    assert stats["units"] == len(ROWS) + len(MORE_ROWS)
    assert stats["orphan_vectors"] == 0
    assert stats["vectors"] == 10 + 6


def test_two_hosts_ingesting_at_once_keep_each_others_vectors(
    tmp_path, e5, chroma_server, manifest_database, folders
) -> None:
    hosts = [host(tmp_path, e5, chroma_server, manifest_database, name) for name in ("a", "b")]
    failures: list[BaseException] = []

    def ingest(kb: KnowledgeBase, folder: Path) -> None:
        try:
            kb.ingest([folder])
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=ingest, args=(kb, folder))
        for kb, folder in zip(hosts, folders, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    hosts[0].check_in_step()
    assert hosts[0].stats()["vectors"] == 16
    assert hosts[0].stats()["orphan_vectors"] == 0
    assert len(hosts[0].manifest.vector_ids()) == 16


def test_a_host_with_its_own_manifest_is_refused_instead_of_finding_nothing(
    tmp_path, e5, chroma_server, manifest_database, folders
) -> None:
    host(tmp_path, e5, chroma_server, manifest_database, "a").ingest([folders[0]])
    alone = KnowledgeBase(
        tmp_path / "host-c" / "kb",
        e5,
        chroma_url=chroma_server.url,
        collection=collection_of(tmp_path),
    )
    with pytest.raises(KnowledgeBaseOutOfStepError, match="lists none"):
        alone.check_in_step()


def test_an_unreachable_manifest_database_is_a_typed_error(tmp_path, e5, chroma_server) -> None:
    with pytest.raises(ManifestUnavailableError):
        KnowledgeBase(
            tmp_path / "kb",
            e5,
            chroma_url=chroma_server.url,
            shared_manifest=f"postgresql://root@127.0.0.1:{free_port()}/nowhere",
        )


def test_a_lost_manifest_connection_is_opened_again(
    tmp_path, e5, chroma_server, manifest_database, folders
) -> None:
    kb = host(tmp_path, e5, chroma_server, manifest_database, "a")
    kb.ingest([folders[0]])
    manifest = kb.manifest
    assert isinstance(manifest, SharedManifest)
    terminate_backend(manifest_database, manifest.backend_pid())
    with pytest.raises(ManifestUnavailableError):
        kb.units(["t-1"])  # the statement that found the connection gone
    assert set(kb.units(["t-1"])) == {"t-1"}
