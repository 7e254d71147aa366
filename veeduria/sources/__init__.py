"""Sources: reading documents into text plus metadata, and storing them."""
