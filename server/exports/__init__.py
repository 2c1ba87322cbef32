"""Exports (issue 19): files that open in the tools their users already have."""
