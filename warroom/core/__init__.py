"""The pure core of warroom: no Textual, no httpx, no sqlite (enforced by a test)."""
