"""Streams: the home, community, person and tag streams, newest first."""
