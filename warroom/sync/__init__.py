"""The sync client: push the outbox, follow the server, verify what arrives."""
