"""Delivery: the quarterly batch run, its manifest and the mail."""
