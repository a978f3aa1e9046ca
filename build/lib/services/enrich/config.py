from pathlib import Path

from shared.settings import BaseServiceSettings

DATA = Path(__file__).resolve().parent / "data"


class EnrichSettings(BaseServiceSettings):
    port: int = 8002
    companies_csv: Path = DATA / "companies.csv"
    free_mail_list: Path = DATA / "free_mail_domains.txt"
    disposable_list: Path = DATA / "disposable_domains.txt"
    default_phone_region: str = "US"
