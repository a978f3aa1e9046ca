from services.route.config import RouteSettings
from shared.serve import serve

serve("services.route.app:app", RouteSettings())
