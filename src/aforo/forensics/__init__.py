"""Forensic work: accounts run as ensembles over seeds, and compared."""
