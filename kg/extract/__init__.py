"""Extractors: normalized report text → typed facts with spans (normalized offsets; mapped back in ``kg.build``)."""
