# The course's kernels: copied into .venv/etc/ipython/ by course.py (every command), where every
# IPython kernel of that environment reads it.
#
# ipykernel 7 warns at every kernel start that its ZeroMQ channels are not encrypted. The course's
# kernels listen on 127.0.0.1 only and every message is signed with the kernel's secret key, so the
# warning tells a student or teacher nothing they can act on; drop just that message (any other
# warning of the kernel is still shown).
import logging


class _NoPlainTcpWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "running over TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_NoPlainTcpWarning())
