"""Hazards: irritant gas in the air (:mod:`aforo.hazards.gas`)."""

from aforo.hazards.gas import (
    GasError,
    GasField,
    GasGrid,
    GasOpening,
    GasOutlet,
    GasSpace,
    build_gas_grid,
)

__all__ = ["GasError", "GasField", "GasGrid", "GasOpening", "GasOutlet", "GasSpace", "build_gas_grid"]
