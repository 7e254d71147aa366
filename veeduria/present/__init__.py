"""Presentation: terminal output, reports, the web dashboard and API."""
