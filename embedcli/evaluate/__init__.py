"""Evaluation: word analogy and word similarity test sets (testsets) and their scores
(scoring)."""
