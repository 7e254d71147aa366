"""The web dashboard and REST API (FastAPI). `create_app(store, settings=...)` builds it."""

from veeduria.present.web import models as models  # registers the users table
from veeduria.present.web.app import create_app
from veeduria.present.web.settings import Settings

__all__ = ["Settings", "create_app"]
