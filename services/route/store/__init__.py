"""route's repositories over PostgreSQL (schema `route` only), one per aggregate: the lead (its
lock, routing input, nurture and recycle records), its assignments, and the pools with their reps'
state. Each method is one statement; the batch methods take the whole batch."""
