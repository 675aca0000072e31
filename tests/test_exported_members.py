"""The public surface is exactly what ``hubcrm.__all__`` lists."""

import hubcrm


def test_version_is_a_string() -> None:
    assert isinstance(hubcrm.__version__, str)
    assert hubcrm.__version__
