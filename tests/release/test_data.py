"""The copied Sigstore test data is byte for byte what its README (and ../shared) describes."""

from __future__ import annotations

import hashlib

import pytest
from tests.release.fixtures import SIGSTORE

# From data/sigstore/README.md (the shared test data's own table).
PINNED = {
    "a.txt": "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf",
    "a.txt.sigstore.json": "82382358bdf586d1a184820ac0d0ff06eb737f459fe03baebbbd2c76e80b54a9",
    "a.txt.tampered": "6f16fe3176686c86b8f7f59e5cedcc35637c6dae19f3cce444d038d6a47a2b6c",
    "a.txt.bad-signature.sigstore.json": (
        "be2a985ca640ed23ffa8e67ca3115298d375b8b32de4f898bee1e379c262a292"
    ),
    "trusted_root.production.json": (
        "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66"
    ),
}


@pytest.mark.parametrize(("name", "sha256"), sorted(PINNED.items()))
def test_copied_file_matches_its_pinned_digest(name: str, sha256: str) -> None:
    """Each copied file has the SHA-256 the README pins."""
    assert hashlib.sha256((SIGSTORE / name).read_bytes()).hexdigest() == sha256
