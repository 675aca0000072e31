"""TEMPORARY shim until the errors split lands."""

from ._errors import error_from_batch_entry, error_from_response

__all__ = ["error_from_batch_entry", "error_from_response"]
