"""Development tools for TATS: local QStash-compatible server, GitHub replay, demo data."""
