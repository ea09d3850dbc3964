"""Type hints of the native module (the Rust recorder and estimator)."""

from os import PathLike
from typing import Any, Dict, List, Optional, Union

__version__: str

class NoDriver(RuntimeError):
    """The NVIDIA driver library cannot be loaded."""

class Recorder:
    def __init__(
        self,
        output: Union[str, PathLike[str]],
        *,
        meta: Optional[str] = ...,
        arch: Optional[str] = ...,
        batch: Optional[int] = ...,
        samples: Optional[int] = ...,
        epochs: Optional[int] = ...,
        input: Optional[int] = ...,
        seq: Optional[int] = ...,
        precision: Optional[str] = ...,
        framework: Optional[str] = ...,
        mode: Optional[str] = ...,
        lora_rank: Optional[int] = ...,
        gpus: Optional[str] = ...,
        interval_ms: int = ...,
        idle_s: float = ...,
        checkpoint_s: float = ...,
        status_s: float = ...,
        replay: List[str] = ...,
        speed: float = ...,
    ) -> None: ...
    @property
    def recording(self) -> bool: ...
    @property
    def output(self) -> str: ...
    @property
    def note(self) -> Optional[str]:
        """Why this process does not record, or that a replay skips the idle calibration."""
        ...
    def start(self) -> None: ...
    def epoch_end(self) -> None: ...
    def status(self) -> Optional[Dict[str, Any]]: ...
    def stop(self, interrupted: Optional[str] = ...) -> Optional[Dict[str, Any]]: ...

def estimate_json(query: str) -> str: ...
