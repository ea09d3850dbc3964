"""What the framework callbacks share: turning a framework's precision name into the profile's."""

from __future__ import annotations

from typing import Optional


def precision(name: Optional[str]) -> Optional[str]:
    """``bf16-mixed``, ``mixed_bfloat16``, ``16-mixed``, ``float32``, … → ``bf16`` / ``fp16`` / ``fp32``."""
    if not name:
        return None
    n = str(name).lower()
    if "bf16" in n or "bfloat16" in n:
        return "bf16"
    if "16" in n:
        return "fp16"
    if "32" in n:
        return "fp32"
    return None
