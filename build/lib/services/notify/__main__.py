from services.notify.config import NotifySettings
from shared.serve import serve

serve("services.notify.app:app", NotifySettings())
