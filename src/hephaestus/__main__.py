"""``python -m hephaestus``."""

from __future__ import annotations

from hephaestus.cli import main

if __name__ == "__main__":
    main()
