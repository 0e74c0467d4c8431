"""Adapters that make news-assistant a component of other frameworks (`assistant.integrations.llama_index`).

Nothing is imported here: each integration is imported by name, so adding one for a framework that is an optional
dependency never makes the others fail to import. The rest of `assistant` never imports this package.
"""
