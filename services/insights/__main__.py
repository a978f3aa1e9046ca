from services.insights.config import InsightsSettings
from shared.serve import serve

serve("services.insights.app:app", InsightsSettings())
