"""edgejobs: a job ledger for AI video pipelines on Cloudflare Python Workers + D1."""

__version__ = "0.1.0"
