"""storyreel: a local-first studio for making short films with generative image and video models."""

__version__ = "0.1.0"
