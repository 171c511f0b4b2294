"""providers: TOML/JSON/OCN.csv directories; peers by address, trunk group and domain."""

from __future__ import annotations

import json
from ipaddress import ip_network
from pathlib import Path

import pytest

from conftest import ROOT
from shakentrace import DirectoryError
from shakentrace.providers import Peer, Provider, ProviderDirectory, TrunkGroup

EXAMPLE = ROOT / "examples" / "directory.toml"

# Rows of the public OCN.csv of mhardeman/shaken-pki-reports (commit 1e79cdf, June 2025):
# public facts about public certificates, in the file's own column layout.
OCN_CSV = """OCN,Org Name,CN,Cert
"006L","VoyageNetworks","VoyageNetworks_1742590882637 SHAKEN 006L","https://voipedia.peeredge.com/cert/QKgErsFH.pem"
"006L","VoyageNetworks","VoyageNetworks_1728672609930 SHAKEN 006L","https://voipedia.peeredge.com/cert/vTIeUNV1.pem"
"0088","Delhi Telephone Company","SHAKEN 0088","https://cr-partner.ccid.neustar.biz/ccid/authn/v2/certs/237.564"
"073H","Telnyx LLC","SHAKEN 073H","https://certificates.transnexus.com/073H/6ad8ad30-5604-4a9a-892a-f55fe165c02f.pem"
"073H","Telnyx LCC","SHAKEN 073H","https://certificates.transnexus.com/073H/7b2c36bd-9f11-4998-bc31-a6072680a8f2.pem"
"073H","Telnyx LLC","SHAKEN 073H","https://example.invalid/third.pem"
"0401","Duo Broadband ","Duo Broadband SHAKEN Cert 0401","https://cdn-cr.cgah.tnsi.com/certs/e6c8f8013706c0cbf0a78beb80d1f21374f43b1d"
"""


@pytest.fixture
def directory() -> ProviderDirectory:
    return ProviderDirectory.load(EXAMPLE)


def test_example_directory_loads(directory: ProviderDirectory) -> None:
    assert len(directory.providers) == 5
    assert len(directory.peers) == 4
    prairie = directory.provider("993x")
    assert prairie is not None
    assert prairie.name == "Prairie Wholesale Voice"
    assert prairie.ocn == "993W"
    assert directory.provider("prairie wholesale voice") is prairie
    assert directory.provider("globex telecom ltd") is not None
    assert directory.provider("0000") is None
    assert directory.provider(None) is None


def test_peer_by_address_longest_prefix(directory: ProviderDirectory) -> None:
    peer = directory.peer_for_address("198.51.100.31")
    assert peer is not None
    assert peer.provider == "992T"
    assert directory.peer_for_address("198.51.100.32") is None
    assert directory.peer_for_address("nonsense") is None
    wider = ProviderDirectory(
        peers=(
            Peer(provider="A", networks=(ip_network("10.0.0.0/8"),)),
            Peer(provider="B", networks=(ip_network("10.1.0.0/16"),)),
        )
    )
    hit = wider.peer_for_address("10.1.2.3")
    assert hit is not None
    assert hit.provider == "B"


def test_peer_by_trunk_group_and_domain(directory: ProviderDirectory) -> None:
    by_tg = directory.peer_for_trunk("prairie-01", "LAKESIDE.example")
    assert by_tg is not None
    assert by_tg.provider == "993W"
    assert directory.peer_for_trunk("PRAIRIE-01", "elsewhere.example") is None
    assert directory.peer_for_trunk("MIDWEST-7", "prairie.example") is not None
    by_host = directory.peer_for_host("sbc3.Midwest-Transit.example.")
    assert by_host is not None
    assert by_host.provider == "992T"
    assert directory.peer_for_host("evilmidwest-transit.example") is None
    by_ip = directory.peer_for_host("203.0.113.200")
    assert directory.provider_of(by_ip) == directory.provider("Globex Telecom Ltd")
    assert directory.provider_of(None) is None


def test_trunk_group_without_context_matches_any() -> None:
    assert TrunkGroup(tgrp="TG1").matches("tg1", "whatever")


def test_json_round_trip(directory: ProviderDirectory) -> None:
    again = ProviderDirectory.from_json(json.dumps(directory.to_dict()))
    assert again.peers == directory.peers
    assert [p.name for p in again.providers] == [p.name for p in directory.providers]


def test_ocn_csv_layout() -> None:
    directory = ProviderDirectory.from_ocn_csv(OCN_CSV)
    assert len(directory.providers) == 4
    telnyx = directory.provider("073h")
    assert telnyx is not None
    assert telnyx.name == "Telnyx LLC"  # the most frequent spelling wins
    assert telnyx.source == "ocn-csv"
    assert len(telnyx.certificates) == 3
    duo = directory.provider("0401")
    assert duo is not None
    assert duo.name == "Duo Broadband"


def test_certificate_fills_gaps() -> None:
    directory = ProviderDirectory.from_ocn_csv(OCN_CSV)
    known = directory.for_signer("0088", "Something Else Inc")
    assert known is not None
    assert known.name == "Delhi Telephone Company"
    guessed = directory.for_signer("123X", "New Carrier LLC")
    assert guessed == Provider(name="New Carrier LLC", ocns=("123X",), source="certificate")
    assert directory.for_signer("123X", None) is None


def test_merge_prefers_the_later(directory: ProviderDirectory) -> None:
    extra = ProviderDirectory(providers=(Provider(name="Prairie Renamed", ocns=("993W",)),))
    merged = directory.merge(extra)
    renamed = merged.provider("993W")
    assert renamed is not None
    assert renamed.name == "Prairie Renamed"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bad.toml", "[[providers]\n"),
        ("bad.json", "{"),
        ("list.json", "[]"),
        ("noname.json", '{"providers": [{"ocns": ["1"]}]}'),
        ("badnet.json", '{"peers": [{"provider": "x", "addresses": ["300.1.1.1"]}]}'),
        ("badtype.toml", "[[providers]]\nname = 3\n"),
        # found by fuzzing: each was read as a provider, OCN or peer named "None"
        ("emptyname.json", '{"providers": [{"name": " "}]}'),
        ("nullocn.json", '{"providers": [{"name": "A", "ocns": [null]}]}'),
        ("emptypeer.toml", '[[peers]]\nprovider = ""\n'),
        ("nulldomain.json", '{"peers": [{"provider": "A", "domains": [null]}]}'),
        ("emptytgrp.json", '{"peers": [{"provider": "A", "trunk_groups": [";ctx"]}]}'),
        # and bool("false") made a carrier a customer
        ("strcustomer.json", '{"peers": [{"provider": "A", "customer": "false"}]}'),
        ("bad.csv", "a,b\n1,2\n"),
        ("dir.yaml", "providers: []"),
    ],
)
def test_bad_files_raise_directory_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError) as info:
        ProviderDirectory.load(path)
    assert info.value.code == "directory-malformed"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError):
        ProviderDirectory.load(tmp_path / "absent.toml")


def test_an_unreadable_directory_file_says_why_in_plain_words(tmp_path: Path) -> None:
    """`trace --directory` with a typo or a wrong file once printed Python's own
    "[Errno 2] No such file or directory: '…'" or "'utf-8' codec can't decode …"."""
    with pytest.raises(DirectoryError) as info:
        ProviderDirectory.load(tmp_path / "nonexistent.toml")
    assert str(info.value).endswith("nonexistent.toml: No such file or directory")
    picture = tmp_path / "x.toml"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DirectoryError) as info:
        ProviderDirectory.load(picture)
    assert str(info.value).endswith("x.toml: not UTF-8 text (TOML, JSON or CSV)")


def test_a_directory_file_of_another_format_names_the_ones_read(tmp_path: Path) -> None:
    # "unknown directory format: .md" left the reader to guess which ones are known.
    notes = tmp_path / "providers.md"
    notes.write_text("# providers\n", encoding="utf-8")
    with pytest.raises(DirectoryError) as info:
        ProviderDirectory.load(notes)
    assert str(info.value).endswith(
        f"{notes}: unknown directory format .md (give a .toml, .json or OCN .csv file)"
    )
