"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import os

from hypothesis import strategies as st


def file_names(max_size: int) -> st.SearchStrategy[str]:
    """One path segment: any text, or any bytes (decoded like os.fsdecode), minus '/' and NUL."""
    return st.text(
        alphabet=st.characters(exclude_characters="/\0", exclude_categories=["Cs"]),
        min_size=1,
        max_size=max_size,
    ) | st.binary(min_size=1, max_size=max_size).map(
        lambda raw: os.fsdecode(raw.replace(b"/", b"_").replace(b"\0", b"_"))
    )
