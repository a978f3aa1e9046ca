"""Test ports are handed out once per session: two servers of one test never get the same port."""

from concurrent.futures import ThreadPoolExecutor

from tests.support.ports import LISTEN_PORTS, free_port, free_port_block


def test_ports_are_never_handed_out_twice_even_from_threads() -> None:
    with ThreadPoolExecutor(8) as pool:
        ports = list(pool.map(lambda _: free_port(), range(120)))
    block = free_port_block(3)
    handed = [*ports, block, block + 1, block + 2]
    assert len(set(handed)) == len(handed)
    assert all(p in LISTEN_PORTS for p in handed), "below the ephemeral range"
