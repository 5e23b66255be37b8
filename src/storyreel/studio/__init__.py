"""The web studio: FastAPI over the same services the CLI calls (DESIGN §2: a thin shell)."""
