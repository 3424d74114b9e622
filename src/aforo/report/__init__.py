"""Presentation of scenarios and runs: tables for the terminal, reports."""
