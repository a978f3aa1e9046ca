"""notify: tells the assigned rep, once per assignment and channel, and records the outcome."""
