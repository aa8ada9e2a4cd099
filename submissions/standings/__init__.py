"""The stored standings: `recount` writes them, `check` recounts them independently and lists
every difference."""
