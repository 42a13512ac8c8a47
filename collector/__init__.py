"""The HTTP collector (``pulse collect``): logical JSON events in, checked, published to Kafka."""
