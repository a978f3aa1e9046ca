"""leadrelay's common library: events, settings, the stage runtime, database and HTTP plumbing."""
