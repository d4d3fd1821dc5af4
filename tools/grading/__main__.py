"""python -m tools.grading grade|check ...: see tools/grading/cli.py."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
