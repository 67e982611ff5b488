"""deskpress: a static blog generator for personal-professional blogs."""

__version__ = "0.1.0"
