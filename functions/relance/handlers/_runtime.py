"""The per-container runtime every handler builds on its first call (cold start) and keeps."""

from __future__ import annotations

from ..app.runtime import Runtime
from ..settings import Settings


class LazyRuntime:
    """``runtime()`` builds the Runtime from the environment once; ``reset()`` forgets it (tests, the local
    runner, which plays a new container per invocation)."""

    def __init__(self, *, need: tuple[str, ...] = ()) -> None:
        self.need = need
        self._runtime: Runtime | None = None

    def __call__(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(Settings.from_env(need=self.need))
        return self._runtime

    def reset(self) -> None:
        self._runtime = None
