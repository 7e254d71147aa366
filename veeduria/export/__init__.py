"""Exports: claims as JSON Lines (the shared spec), FollowTheMoney entities, CSV."""
