"""Keeping watch: monitored sources (feeds, pages, folders) polled into the ingest pipeline,
watchlists of entities, rules, domains and countries, and the alerts raised when new
knowledge touches them. A layer above sources/ and screen/, below present/."""
