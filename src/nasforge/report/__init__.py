"""The study report: one self-contained HTML page (Plotly inlined) or a Markdown summary."""
