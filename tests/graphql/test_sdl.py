"""The committed SDL is the live schema."""

from __future__ import annotations

from pulse.graphql.schema import sdl
from pulse.graphql.sdl import REGENERATE, SDL_PATH


def test_committed_sdl_matches_the_live_schema() -> None:
    """graphql/schema.graphql equals the schema the code serves, byte for byte."""
    committed = SDL_PATH.read_text(encoding="utf-8") if SDL_PATH.exists() else ""
    assert committed == sdl(), f"{SDL_PATH} is stale; regenerate it with `{REGENERATE}`"
