from services.enrich.config import EnrichSettings
from shared.serve import serve

serve("services.enrich.app:app", EnrichSettings())
