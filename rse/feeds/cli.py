"""Command line of the feeds (the seeding command lives here)."""

from flask import Flask


def register_cli(app: Flask) -> None:
    pass
