"""The shared backend: ``warroom serve`` (an ASGI app over an ``EventStorage``)."""
