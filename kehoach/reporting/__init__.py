"""Reporting: the report sections, their templates and the export to HTML and Word."""
