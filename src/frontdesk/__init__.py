"""Frontdesk: a self-hosted lead-capture and office-info site for agencies."""

__version__ = "0.1.0"
