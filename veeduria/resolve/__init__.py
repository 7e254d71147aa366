"""Entity resolution: name matching, merges and splits as undoable judgements, a review
queue, ownership chains and state linkage. Importing the package registers its tables."""

from veeduria.resolve import models  # noqa: F401  (registers the ORM tables)
