"""The resources: they build requests and read answers (objects, properties,
associations, search, paging, raw responses)."""

__all__: list[str] = []
