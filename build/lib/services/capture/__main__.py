from services.capture.config import CaptureSettings
from shared.serve import serve

serve("services.capture.app:app", CaptureSettings())
