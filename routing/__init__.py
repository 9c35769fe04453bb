"""Priority scoring and visit planning: plain Python on shapely and geopy, no Flask."""
