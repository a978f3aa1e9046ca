from services.score.config import ScoreSettings
from shared.serve import serve

serve("services.score.app:app", ScoreSettings())
