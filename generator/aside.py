"""A value computed by a forked process while this one goes on.

Apart from generator/parallel.py, which loads Jinja2 and multiprocessing: the CLI forks one of these
before Python has loaded the pipeline (see generator/inputs.py).
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class ComputedAside(Generic[T]):
    """make(), computed by a forked process while this one goes on (stat-ing the sources, walking the
    output folder, pickling a site for the cache); call to have it.

    The process only computes, writes the value pickled to its pipe and leaves, touching nothing of
    this one's state. With `idle`, it runs at the lowest priority, on what the other processes leave
    of the cores: for a value not needed soon. Where fork is not available, when the process fails or
    was stopped, make() is run here when the value is asked for (and raises here whatever it raises)."""

    def __init__(self, make: Callable[[], T], idle: bool = False):
        self.make, self.pid, self.reader = make, None, -1
        if not hasattr(os, "fork"):
            return
        self.reader, writer = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            signals_left_to_the_build()
            if idle:
                os.nice(19)  # the most a process can lower its own priority by
            try:
                with os.fdopen(writer, "wb") as stream:
                    pickle.dump(make(), stream, protocol=5)
            finally:
                os._exit(0)
        os.close(writer)

    def __call__(self) -> T:
        if self.pid is not None:
            with os.fdopen(self.reader, "rb") as stream:
                data = stream.read()
            os.waitpid(self.pid, 0)
            self.pid = None
            try:
                return pickle.loads(data)
            except Exception:  # nothing, or not all, was written: the process failed
                pass
        return self.make()

    def stop(self) -> None:
        """End the process, when its value will not be asked for."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGTERM)
            os.close(self.reader)
            os.waitpid(self.pid, 0)
            self.pid = None


def signals_left_to_the_build() -> None:
    """Ctrl-C reaches every process of the terminal's group: the build's process stops its workers (see
    ForkedMap.stop), and a worker interrupted as well would print "Process ForkProcess-N:" and a traceback.
    And a worker stopped that way ends at once, even when forked by `serve`, whose own SIGTERM handler
    turns the signal into a KeyboardInterrupt (and a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
