"""Core: errors, configuration, periods, formatting and labels. Imports nothing else of kehoach."""
