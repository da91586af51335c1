"""guard-rails: run every quality gate in parallel, cached, with findings in one model.

Operations: :func:`hephaestus.gates.runner.run_guard_rails`; the plugin contract is
:mod:`hephaestus.gates.spec`.
"""
