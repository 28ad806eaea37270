"""NAS-Bench-201: the space of 6-edge cells (`space`) and the network a cell builds (`network`)."""
