"""Avro schemas of the event contract, and their codec, validator and producer."""
