"""NASNet/DARTS cells: the space of normal and reduction cells (`space`) and their network (`network`)."""
