"""bpcheck_protocol: the name under which adapters written before the bpcheck package imported
the protocol loop; it is bpcheck.protocol (see there), kept so that they run unchanged."""
from bpcheck.protocol import *  # noqa: F401,F403
from bpcheck.protocol import __all__  # noqa: F401
