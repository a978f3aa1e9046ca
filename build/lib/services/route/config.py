from pydantic import SecretStr

from shared.settings import BaseServiceSettings


class RouteSettings(BaseServiceSettings):
    port: int = 8004
    claim_link_secret: SecretStr | None = None
