"""Local stand-ins for third-party services, speaking their real wire formats on 127.0.0.1."""
