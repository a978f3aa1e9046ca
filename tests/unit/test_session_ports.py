"""The test session's choice of ports: the defaults unless another checkout holds them."""

import socket

from tests.support import ports


def test_a_default_port_held_by_another_process_gives_a_free_block_instead() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = int(held.getsockname()[1])
        chosen = ports.choose(taken, 2, "deploy/local/no-such-script.sh")
        assert chosen != taken
        assert ports.port_free(chosen) and ports.port_free(chosen + 1)
    free = ports.free_port_block(2)
    assert ports.choose(free, 2, "deploy/local/no-such-script.sh") == free, "a free default is kept"


def test_own_ports_come_with_their_own_directories() -> None:
    env = ports.InfraPorts(kafka=40001, postgres=40003).script_env()
    assert env["LEADRELAY_KAFKA_PORT"] == "40001" and env["LEADRELAY_KAFKA_DIR"].endswith(".local/test-kafka")
    assert env["LEADRELAY_PG_PORT"] == "40003" and env["LEADRELAY_PG_DIR"].endswith(".local/test-postgres")
    assert ports.InfraPorts(ports.DEFAULT_KAFKA_PORT, ports.DEFAULT_PG_PORT).script_env() == {}
