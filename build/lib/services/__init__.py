"""The five leadrelay services, one package each."""
