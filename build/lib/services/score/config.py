from shared.settings import BaseServiceSettings


class ScoreSettings(BaseServiceSettings):
    port: int = 8003
