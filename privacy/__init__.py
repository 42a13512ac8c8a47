"""Privacy and retention: a data subject's export and erasure, their audit, and retention windows.

README "Privacy" says what each command does and what Kafka still holds after an erasure.
"""
