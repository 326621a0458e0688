"""Analysis: evaluation, reporting completeness, Vietnamese narrative and charts, from frames."""
