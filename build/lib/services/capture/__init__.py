"""capture: the front door. Every accepted request is stored, then published through an outbox."""
