"""Bulk synthetic data for the benchmarks (`flask rse seed`): generate.py writes it, data.py holds
the French vocabulary it draws from, cli.py is the command."""
