"""Ingestion: files -> articles -> chunks -> store."""
