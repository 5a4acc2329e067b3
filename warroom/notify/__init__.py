"""Word out: channels named by URL, the delivery queue, receipts on the record.

``channels`` reads the channel book (``channels.toml``) and sends through Apprise or a
plain JSON webhook; ``subscriptions`` keeps who else gets an audience's notices;
``dispatcher`` works out what is owed from the record and delivers each once, recording
every attempt through a ``Record`` (``solo`` for a room without a server;
``warroom.server.delivery_task`` inside ``warroom serve``). ``claims`` is the lease
table both keep."""
