"""bpcheck: check a backpropagation implementation from Python, against bpcheck's golden values.

The package holds two things (README, "From Python"):

- the test API, for a test suite (pytest or any other):

      import bpcheck

      def test_my_gradients():
          bpcheck.assert_conforms(answer)       # answer(request) -> {"cost", "grad", "step"}

  conform() returns a Result (passed, failures, summary); assert_conforms() fails the test
  with the run's summary; fixtures() writes golden-value cases for the caller's own network.
  They drive the bpcheck program (installed by `make install`; found as $BPCHECK or on PATH).

- the protocol loop of an adapter program (bpcheck.protocol: serve, Unsupported), which the
  adapter templates import.

Installed by `pip install --no-build-isolation testsuite/python` (no network), into any
interpreter, a virtualenv included, or by `make install`."""
from .protocol import CAPABILITY_KEYS, WANT_DEFAULT, Unsupported, activations, serve
from .run import Error, Failure, Result, assert_conforms, conform, fixtures

__version__ = "0.1.0"  # the Makefile's VERSION (t/python checks that they agree)

__all__ = ["conform", "assert_conforms", "fixtures", "Result", "Failure", "Error",
           "serve", "Unsupported", "activations", "CAPABILITY_KEYS", "WANT_DEFAULT"]
