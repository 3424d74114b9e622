"""Compiled geometry: walls, lines, portals and navigation fields as arrays for the kernels."""

from aforo.venue.compiled import Outlet, Portal, Venue, compile_venue, rebuild_for_doors

__all__ = ["Outlet", "Portal", "Venue", "compile_venue", "rebuild_for_doors"]
