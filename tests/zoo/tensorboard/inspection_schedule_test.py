"""`InspectionSchedule`: the epochs text samples and attention maps run at."""

import pytest

from zoo.tensorboard.writer import InspectionLogger, InspectionSchedule


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_every_n_epochs_runs_at_the_end_of_every_nth():
    schedule = InspectionSchedule(every=3)
    assert [schedule.due("text", epoch) for epoch in range(7)] == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
    ]


def test_budget_keeps_the_loggers_within_five_percent_of_training():
    clock = FakeClock()
    schedule = InspectionSchedule(clock=clock)
    schedule.start()
    ran = []
    for epoch in range(40):
        clock.now += 10.0  # an epoch of training
        if schedule.due("text", epoch):
            ran.append(epoch)
            clock.now += 2.0  # the logger itself
            schedule.record("text", 2.0)
    # First at epoch 0 (its cost is unknown); then whenever 2 s more stays
    # within 5% of the training time: training >= 20 * spent.
    assert ran[0] == 0
    assert ran[1:4] == [7, 11, 15]
    training = 40 * 10.0
    assert schedule.spent <= 0.05 * training + 2.0
    assert schedule.spent == 2.0 * len(ran)
    # Rule: each run after the first starts within budget.
    for count, epoch in enumerate(ran[1:], start=1):
        assert 2.0 * (count + 1) <= 0.05 * 10.0 * (epoch + 1)


def test_loggers_share_the_budget():
    clock = FakeClock()
    schedule = InspectionSchedule(clock=clock, budget=0.1)
    schedule.start()
    clock.now += 100.0
    schedule.record("text", 6.0)
    clock.now += 6.0
    # 6 s spent of a 10 s budget: a 5 s logger does not fit, a 4 s one does.
    schedule.last_cost["attention"] = 5.0
    assert not schedule.due("attention", 0)
    schedule.last_cost["attention"] = 4.0
    assert schedule.due("attention", 0)


class CountingLogger(InspectionLogger):
    def __init__(self, log_dir, schedule, clock, cost):
        super().__init__(log_dir, schedule=schedule)
        self.clock, self.cost, self.epochs = clock, cost, []

    def inspect(self, epoch, logs=None):
        self.epochs.append(epoch)
        self.clock.now += self.cost


def test_logger_runs_inspect_when_its_schedule_says(tmp_path):
    clock = FakeClock()
    logger = CountingLogger(
        tmp_path, InspectionSchedule(clock=clock), clock, cost=1.0
    )
    logger.on_train_begin()
    for epoch in range(6):
        clock.now += 5.0
        logger.on_epoch_end(epoch)
    # 1 s per run, 5 s per epoch: after epoch 0, the next run fits when
    # 2 s <= 0.05 * training, that is after 40 s of training.
    assert logger.epochs == [0]
    for epoch in range(6, 8):
        clock.now += 5.0
        logger.on_epoch_end(epoch)
    assert logger.epochs == [0, 7]
    assert logger.schedule.spent == pytest.approx(2.0)


def test_logger_without_schedule_runs_every_epoch(tmp_path):
    clock = FakeClock()
    logger = CountingLogger(tmp_path, None, clock, cost=1.0)
    for epoch in range(3):
        logger.on_epoch_end(epoch)
    assert logger.epochs == [0, 1, 2]


def test_the_last_epoch_is_always_inspected(tmp_path):
    schedule = InspectionSchedule(every=5)
    assert not schedule.due("text", 1)
    assert schedule.due("text", 1, last=True)
    clock = FakeClock()
    logger = CountingLogger(
        tmp_path, InspectionSchedule(clock=clock), clock, cost=1.0
    )
    logger.set_params({"epochs": 3})
    logger.on_train_begin()
    for epoch in range(3):
        clock.now += 5.0
        logger.on_epoch_end(epoch)
    # Epoch 1 is over budget (2 s > 0.05 * 10 s); epoch 2 is the last.
    assert logger.epochs == [0, 2]
