"""Synthetic feeds that follow FEEDS.md, with the truth the generator knows in ``_truth/``."""

from epilake.generator.lab import LabFeedConfig, generate_lab_feed

__all__ = ["LabFeedConfig", "generate_lab_feed"]
