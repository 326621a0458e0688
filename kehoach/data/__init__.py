"""Data: the plan, the progress store, the Excel forms, the import of submissions and the sample data."""
