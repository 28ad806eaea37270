"""Analysis of results: proxy quality on benchmarks, correlations across fidelities."""
