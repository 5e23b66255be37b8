"""The web studio: FastAPI over the same services the CLI calls (DESIGN §2: a thin shell).

``create_app(film_root, token=...)`` builds the application; ``storyreel studio`` serves it on 127.0.0.1.
"""

from __future__ import annotations

from storyreel.studio.app import create_app

__all__ = ["create_app"]
