"""The Chat Completions wire protocol, spoken through haybale's HTTP backends (private).

One module per concern: ``codec`` (the protocol as one object), ``sse`` (bytes -> lines -> events),
``request``/``messages`` (what is sent), ``response`` (a completion -> ChatMessages), ``stream``
(chunks -> StreamingChunks and the final reply), ``strict_schema``/``response_format`` (schemas),
``providers`` (the table of provider facts), ``endpoint`` (what differs per provider on the wire),
``call``/``chat_stream`` (the orchestration shared by sync and async), ``_retry`` (the retry
policy) and ``transport`` (I/O through ``haybale._http``).
Nothing is re-exported here, so importing one piece never pulls in the others.
"""
