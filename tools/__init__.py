"""The course's tools (generator, grader, site, hub): a package, so that `python -m tools.grading` and the
tests import them the ordinary way."""
