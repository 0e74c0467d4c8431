"""Errors the interfaces turn into clear messages (CLI exit codes, HTTP 4xx)."""


class AssistantError(Exception):
    """Base of the errors a user can act on."""


class InvalidQuestion(AssistantError, ValueError):
    """The question is empty, too long or otherwise unusable."""


class InvalidFilters(AssistantError, ValueError):
    """A filter names something that does not exist or is malformed."""


class IngestInProgress(AssistantError):
    """Another ingest holds the collection's write lock and the caller chose not to wait."""


class ArticleNotFound(AssistantError, LookupError):
    """No article with that id is in the collection."""


class ModelFileDamaged(AssistantError):
    """The installed embedding model file does not match the SHA-256 its package publishes."""


class StoreUnavailable(RuntimeError):
    """The vector store cannot be reached or opened."""
