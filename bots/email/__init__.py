"""Email as a chat channel, inbound half: an IMAP worker stores each new message in the spool
(channel ``email``) before it marks it on the server; the drain job parses it and turns it into
an aspiration, a follow-up of a ticket or a reply in a comment thread, after the sender
confirmed their address; answers go out through forum.email.build."""
