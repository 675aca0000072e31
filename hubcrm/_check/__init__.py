"""The check before sending: which inputs HubSpot would refuse, and why, found against
the portal's own definitions (``objects.validate`` and ``create_many(validate=True)``).

``report`` holds the public results, ``snapshot`` what is checked against, ``values``
and ``regex`` how one value is judged, ``check`` the pure check, ``reader`` the caching
of the definitions, ``reading`` the reads behind it, and ``validate`` the whole call.
The package imports none of them: each loads when first used.
"""

__all__: list[str] = []
