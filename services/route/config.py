from shared.settings import BaseServiceSettings


class RouteSettings(BaseServiceSettings):
    port: int = 8004
