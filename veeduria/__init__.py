"""veeduria: an evidence-first observatory of foreign state-linked investment and influence."""

__version__ = "0.1.0"
