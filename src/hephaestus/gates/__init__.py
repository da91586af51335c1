"""guard-rails: run every quality gate in parallel, cached, with findings in one model.

Operations: :mod:`hephaestus.gates.operation` (``guard_rails`` and ``guard_rails_fix``, over
:func:`hephaestus.gates.runner.run_guard_rails`); the plugin contract is
:mod:`hephaestus.gates.spec`.
"""
