//! The two-way sync engine: conflict resolution, webhook inbox, polling, outbox, scheduler. (being written)
