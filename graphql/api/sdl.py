"""Writes the live schema's SDL to ``graphql/schema.graphql``, the committed contract.

Regenerate after changing a type: ``.venv/bin/python -m pulse.graphql.sdl``.
"""

from __future__ import annotations

from pathlib import Path

from pulse.graphql.schema import sdl
from pulse.settings import ROOT

SDL_PATH = ROOT / "graphql" / "schema.graphql"
REGENERATE = ".venv/bin/python -m pulse.graphql.sdl"


def write(path: Path = SDL_PATH) -> Path:
    path.write_text(sdl(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
