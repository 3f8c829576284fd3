"""Embedded data files (US counties and ZIP points) and the script that derives them."""
