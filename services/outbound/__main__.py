from services.outbound.config import OutboundSettings
from shared.serve import serve

serve("services.outbound.app:app", OutboundSettings())
