"""The Faust worker: decode → validate → dedup → process → hand off, exactly once."""
