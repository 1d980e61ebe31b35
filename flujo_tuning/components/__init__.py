"""One module per tunable component; each offers ``decide(settings, platform) -> (Decision, backend)``."""
