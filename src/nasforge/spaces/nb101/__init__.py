"""NAS-Bench-101: the space of cell DAGs (`space`) and the network a cell builds (`network`)."""
