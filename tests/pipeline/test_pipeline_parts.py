"""The pipeline's building blocks on their own: Stage, EventBus, CancelScope, EventRecorder."""

from __future__ import annotations

import queue
import threading

import pytest

from jarvis.errors import EmptyInput
from jarvis.messages import StageError
from jarvis.pipeline.cancel import CancelScope
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.stage import EventBus, Stage


class Doubler(Stage):
    """Publishes twice each number; a JarvisError for 0, a bug for negative numbers."""

    name = "doubler"

    def process(self, item: int) -> None:
        if item == 0:
            raise EmptyInput("zero is empty", "give a number")
        if item < 0:
            raise ValueError("negative")
        self.bus.publish(item * 2)


def test_stage_processes_in_order_and_survives_errors():
    bus = EventBus()
    with EventRecorder(bus) as seen:
        stage = Doubler(bus, maxsize=4).start()
        for item in (1, 0, -1, 3):
            stage.put(item)
        stage.stop()
    assert [e for e in seen.events if isinstance(e, int)] == [2, 6]  # kept running after both failures
    expected, bug = seen.of(StageError)
    assert (expected.stage, expected.message, expected.hint) == ("doubler", "zero is empty", "give a number")
    assert isinstance(expected.cause, EmptyInput) and expected.cause.__traceback__ is None
    assert bug.message == "ValueError: negative" and bug.cause is None and "log file" in bug.hint


def test_stage_queue_is_bounded():
    bus = EventBus()
    gate = threading.Event()

    class Slow(Stage):
        def process(self, item: int) -> None:
            gate.wait()

    stage = Slow(bus, maxsize=1).start()
    stage.put(1)  # taken by the thread, which waits
    stage.put(2)  # fills the queue
    with pytest.raises(queue.Full):
        stage.put(3, timeout=0.05)
    gate.set()
    stage.stop()


def test_bus_observer_that_raises_does_not_stop_the_others():
    bus = EventBus()
    got: list = []

    def broken(event: object) -> None:
        raise RuntimeError("observer bug")

    bus.subscribe(broken)
    bus.subscribe(got.append)
    bus.publish("hello")
    bus.unsubscribe(got.append)
    bus.publish("not seen")
    assert got == ["hello"]


def test_cancel_scope_makes_earlier_work_stale():
    scope = CancelScope()
    before = scope.generation
    assert not scope.is_stale(before)
    after = scope.cancel()
    assert after == before + 1 == scope.generation
    assert scope.is_stale(before) and not scope.is_stale(after)


def test_cancel_scope_counts_every_cancel_from_many_threads():
    scope = CancelScope()
    threads = [threading.Thread(target=lambda: [scope.cancel() for _ in range(500)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert scope.generation == 2000


def test_recorder_waits_for_a_matching_event():
    bus = EventBus()
    with EventRecorder(bus) as seen:
        threading.Timer(0.05, bus.publish, args=(StageError("stt", "late"),)).start()
        assert seen.wait_for(StageError, lambda e: e.message == "late", timeout=5) is not None
        assert seen.wait_for(StageError, lambda e: e.message == "never", timeout=0.1) is None
        assert seen.wait_for(int, timeout=5, give_up=lambda: True) is None  # gives up at once
    bus.publish(StageError("stt", "after close"))
    assert [e.message for e in seen.of(StageError)] == ["late"]
