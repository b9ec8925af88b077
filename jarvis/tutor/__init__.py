"""Tutor mode: role-play a scenario in the language practised, correct the learner, keep on topic."""
