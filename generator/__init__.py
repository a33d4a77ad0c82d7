"""explainer: a static-site generator for annotated explainer archives."""

from __future__ import annotations

__version__ = "0.1.0"
