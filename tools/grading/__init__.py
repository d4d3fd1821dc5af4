"""The course's grader: `python3 course.py grade SUBMISSIONS --out RESULTS` and `python3 course.py check`.

    sandbox.py     where a submission runs: bubblewrap on Linux, resource limits everywhere (Limits, Sandbox)
    worker.py      the program inside the sandbox: runs the cells, answers the checks' requests (plain data)
    transport.py   the grader's side of the worker: bounded, timed reads (Worker, SandboxTransport)
    submission.py  reading untrusted notebooks (regular files only, bounded); the pristine lecture with the
                   student's answer cells in it, each read first by mlp.exercises.review (status "review")
    grader.py      one submission through its worker, the checks run here; many in parallel, students in turn
    reports.py     grades.csv (inert), the feedback pages, the terminal's table and progress bar (escaped)
    render.py      a feedback page rendered by nbconvert in a child process with limits; the local MathJax
    cli.py         the `grade` and `check` commands

The verdicts are computed in the grader's process by the pristine checks of mlp.exercises (with seeds
of the grader's choosing, mlp.exercises.contract.grader_seed); the student's code runs only in the worker
and only answers requests. The facts shared with the generator and the checks (stubs, markers, check and
answer cells, grade ids, statuses, seeds) come from mlp.exercises.contract.
"""
