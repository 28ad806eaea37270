"""A stateful property test (Hypothesis): random sequences of ask, tell, fail, promote and a
SIGKILL-like abandon followed by a resume never lose, duplicate or reorder a stored trial, and
the resumed study goes on exactly as one that was never interrupted (a shadow study in memory,
driven by the same calls)."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from nasforge import NB201Space, Study, TrialState

SPACE = NB201Space()


def stored(path: Path) -> list[tuple[int, str, str, float | None, str | None, float | None]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return list(
            db.execute("SELECT number, key, state, fidelity, origin, score FROM trials ORDER BY rowid")
        )


class StudyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / "s.db"
        self.study = Study.create(SPACE, "evolution", seed=7, path=self.path)
        self.shadow = Study.create(SPACE, "evolution", seed=7)  # never interrupted
        self.resumes = 0

    def running(self) -> list[int]:
        return [t.number for t in self.shadow.trials if t.state is TrialState.RUNNING]

    def asked(self) -> set[int]:  # RUNNING trials the real study has handed out since it was opened
        return {t.number for t in self.study.trials if t.state is TrialState.RUNNING} - {
            t.number for t in self.study._rerun
        }

    @rule()
    def ask(self) -> None:
        trial = self.study.ask()
        queued = [t.number for t in self.shadow._rerun]  # promotions not yet handed out
        if trial.number < len(self.shadow.trials) and trial.number not in queued:
            twin = self.shadow.trials[trial.number]  # a trial abandoned by the kill, run again
            assert twin.state is TrialState.RUNNING and twin.genotype == trial.genotype
        else:
            twin = self.shadow.ask()
            assert (twin.number, twin.genotype) == (trial.number, trial.genotype)

    @precondition(lambda self: self.asked())
    @rule(data=st.data(), value=st.floats(0, 100, allow_nan=False))
    def tell(self, data: st.DataObject, value: float) -> None:
        number = data.draw(st.sampled_from(sorted(self.asked())))
        self.study.tell(self.study.trials[number], {"valid": value})
        self.shadow.tell(self.shadow.trials[number], {"valid": value})

    @precondition(lambda self: self.asked())
    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(sorted(self.asked())))
        self.study.tell(self.study.trials[number], error="injected")
        self.shadow.tell(self.shadow.trials[number], error="injected")

    @rule(data=st.data())
    def promote(self, data: st.DataObject) -> None:
        done = [
            t.number
            for t in self.shadow.trials
            if t.state is TrialState.COMPLETE
            and t.fidelity is None
            and not any(o.key == t.key and o.fidelity == 200 for o in self.shadow.trials)
        ]
        if done:
            number = data.draw(st.sampled_from(done))
            promoted = self.study.promote(self.study.trials[number], 200)
            assert self.shadow.promote(self.shadow.trials[number], 200).number == promoted.number

    @rule()
    def kill_and_resume(self) -> None:
        """As after SIGKILL: nothing is closed or finished; the file is opened again."""
        event(f"killed with {len(self.running())} trials running")
        self.study.storage._db.close()  # the killed process's connection is simply gone
        self.study = Study.load(self.path)
        self.resumes += 1

    @invariant()
    def storage_matches_the_uninterrupted_study(self) -> None:
        rows = stored(self.path)
        assert [r[0] for r in rows] == list(range(len(rows)))  # none lost, duplicated or reordered
        shadow = [(t.number, t.key, t.state.value, t.fidelity, t.origin, t.score) for t in self.shadow.trials]
        assert rows == shadow

    def teardown(self) -> None:
        self.study.close()
        self.shadow.close()
        self.folder.cleanup()


StudyMachine.TestCase.settings = settings(stateful_step_count=30, deadline=None)
test_a_study_survives_any_sequence_of_calls_and_kills = StudyMachine.TestCase
