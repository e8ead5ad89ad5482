"""The migration prechecks: pure evaluators over plain values, a concurrent runner, a terminal front."""
