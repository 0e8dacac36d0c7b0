"""Record-keeping foundations below every stage: the ledger, privacy masking and the
validated workspace."""
