"""enrich: normalisation, free-mail / disposable detection and firmographics by email domain."""
