"""Distributing a built brief: stamped per-recipient copies, messages, the ledger and sending."""
