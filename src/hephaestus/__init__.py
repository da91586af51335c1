"""Hephaestus: one command-line toolkit that keeps Python repositories healthy."""
