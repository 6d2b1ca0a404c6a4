"""A service-call future for the local runtime, with rclpy's Future interface."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any


class ServiceCallError(RuntimeError):
    """A service call failed: no such service, or the handler raised."""


class LocalFuture:
    """The result of `client.call_async()`; completed by the runtime's executor."""

    def __init__(self, schedule: Callable[[Callable[[], None]], None]) -> None:
        self._schedule = schedule
        self._done = False
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[LocalFuture], None]] = []

    def done(self) -> bool:
        return self._done

    def result(self) -> Any:
        if not self._done:
            raise ServiceCallError("the service call has not completed yet")
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self) -> BaseException | None:
        return self._exception

    def add_done_callback(self, callback: Callable[[LocalFuture], None]) -> None:
        if self._done:
            self._schedule(partial(callback, self))
        else:
            self._callbacks.append(callback)

    def set_result(self, result: Any) -> None:
        self._finish(result, None)

    def set_exception(self, exception: BaseException) -> None:
        self._finish(None, exception)

    def _finish(self, result: Any, exception: BaseException | None) -> None:
        if self._done:
            raise ServiceCallError("a future can complete only once")
        self._done, self._result, self._exception = True, result, exception
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            self._schedule(partial(callback, self))
