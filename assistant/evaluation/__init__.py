"""Evaluation set for the assistant: schema, loading and validation against the corpora."""
