"""Real-time analytics for communication platforms.

The code lives in the user's top-level folders, mapped under this one import name
(see pyproject.toml): ``pulse.avro`` (avro/), ``pulse.topics`` (topics/), ``pulse.streams``
(streams/), ``pulse.sinks`` (sinks/) and ``pulse.graphql`` (graphql/api/).
"""
