"""Configuration: the settings model, its sources (arguments, environment, .env, pyproject.toml,
profiles) and the profile catalog. Resolves; never acts."""
