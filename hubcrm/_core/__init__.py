"""The bottom layer: settings, models, values, the converter, errors, clocks."""

__all__: list[str] = []
