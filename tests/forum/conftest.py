"""Forum tests reuse the moderation tests' contribution maker."""

from tests.moderation.conftest import make  # noqa: F401 - a fixture
