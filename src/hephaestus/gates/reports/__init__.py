"""Reports rendered from one :class:`~hephaestus.gates.models.GuardRailsReport`."""
