"""The built-in previz provider: a free, offline, deterministic storyboard animatic renderer."""
