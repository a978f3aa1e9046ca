"""score: fit points from the rules in the business config, with one explanation per point."""
