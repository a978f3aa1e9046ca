"""Inbound source adapters: verify the vendor's signature on the raw body, parse its real payload,
map it to our lead (or a behaviour event), and name the vendor's delivery id for dedupe."""
