"""Provider registry: names map to import paths, so nothing heavy loads until a provider is used.

Nothing outside ``providers/`` imports a provider module by name; it asks ``get_provider``.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from storyreel.errors import ProviderUnavailable, UnknownProvider
from storyreel.providers.base import (
    Capabilities,
    Estimate,
    Handle,
    ModelInfo,
    Provider,
    ProviderSettings,
    Result,
    Status,
)

REGISTRY: dict[str, str] = {
    "previz": "storyreel.providers.previz.provider:PrevizProvider",
    "ark": "storyreel.providers.ark:ArkProvider",
    "jimeng": "storyreel.providers.jimeng:JimengProvider",
    "pixverse": "storyreel.providers.pixverse:PixVerseProvider",
}


def provider_names() -> list[str]:
    return sorted(REGISTRY)


def get_provider(name: str, *, workdir: Path, settings: ProviderSettings | None = None) -> Provider:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownProvider(
            f"Unknown provider '{name}'. Available: {', '.join(provider_names())}.",
            zh=f"未知的生成服务 '{name}'。可用：{'、'.join(provider_names())}。",
        ) from None
    module_name, _, cls_name = target.partition(":")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise ProviderUnavailable(f"Provider '{name}' needs a package that is not installed: {exc.name}.",
                                  zh=f"生成服务 '{name}' 需要未安装的依赖：{exc.name}。") from exc
    return getattr(module, cls_name)(workdir=workdir, settings=settings or ProviderSettings())


__all__ = ["Capabilities", "Estimate", "Handle", "ModelInfo", "Provider", "ProviderSettings", "REGISTRY", "Result",
           "Status", "get_provider", "provider_names"]
