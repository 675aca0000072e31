"""The check before sending: which inputs HubSpot would refuse, and why, found against
the portal's own definitions (``objects.validate`` and ``create_many(validate=True)``).

``report`` holds the public results, ``snapshot`` what is checked against, ``values``
and ``regex`` how one value is judged, ``check`` the pure check, ``reader`` the reading
and caching of the definitions, and ``validate`` the whole call.
"""

from .report import SkippedCheck, ValidationProblem, ValidationReport

__all__ = ["SkippedCheck", "ValidationProblem", "ValidationReport"]
