"""WhatsApp (Cloud API): the webhook, the translation of Meta's envelopes into neutral inbound
messages and receipts, and the channel that sends replies; HTTP calls only in client.py."""
