"""route: picks the rep for each scored lead, atomically in PostgreSQL, with the reason."""
