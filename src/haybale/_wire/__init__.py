"""The Chat Completions wire protocol, spoken over httpx2 with jiter (private).

One module per concern: ``sse`` (lines -> events), ``request``/``messages`` (what is sent),
``response`` (a completion -> ChatMessages), ``stream`` (chunks -> StreamingChunks and the final
reply), ``strict_schema``/``response_format`` (schemas), ``endpoint`` (what differs per provider),
``call``/``chat_stream`` (the orchestration shared by sync and async), ``transport`` (I/O only).
Nothing is re-exported here, so importing one piece never pulls in the others.
"""
