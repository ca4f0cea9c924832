"""testsuite/python/tests/test_bpcheck.py: the bpcheck package under pytest (t/python runs it
in a virtualenv the package was pip-installed into, with $BPCHECK the program just built).

The correct answer is the numpy adapter template (testsuite/adapters/numpy_adapter.py), written
from the equations apart from the C reference; the planted bugs are edits of its answer, made
here the way a user's code would be wrong, not the runner's own bug models."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import bpcheck

ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "adapters")
sys.path.insert(0, ADAPTERS)
import numpy_adapter  # noqa: E402

CAPS = {"costs": ["quadratic", "loglik", "cross-entropy"],
        "activations": list(bpcheck.CAPABILITY_KEYS["activations"]),
        "reductions": ["sum", "mean"], "precision": ["float64"]}


def correct(req):
    return numpy_adapter.answer(req)


def summed_for_mean(req):
    """the gradient summed over the batch where the mean is asked, the cost still the mean:
    the catalogue's grad-sum-cost-mean (002:BP3, 002:BP4)"""
    out = numpy_adapter.answer(req)
    if req["model"]["reduction"] == "mean":
        m, eta = req["batch_size"], req["eta"]
        W, b = [np.asarray(w) for w in req["params"]["W"]], [np.asarray(v) for v in req["params"]["b"]]
        out["grad"] = {"W": [g * m for g in out["grad"]["W"]], "b": [g * m for g in out["grad"]["b"]]}
        out["step"] = {"W": [w - eta * g for w, g in zip(W, out["grad"]["W"])],
                       "b": [v - eta * g for v, g in zip(b, out["grad"]["b"])]}
    return out


def test_a_correct_answer_passes_every_bundled_case():
    result = bpcheck.assert_conforms(correct, capabilities=CAPS)
    assert result.passed and result.failures == []
    assert result.counts["passed"] == result.counts["cases"] >= 281
    assert result.summary.splitlines()[-1] == "%d passed, 0 failed, 0 skipped" % result.counts["cases"]


def test_a_planted_bug_fails_the_test_with_its_name():
    with pytest.raises(pytest.fail.Exception) as failed:
        bpcheck.assert_conforms(summed_for_mean, capabilities=CAPS)
    message = str(failed.value)
    assert 'likely bug: "grad-sum-cost-mean' in message, message
    assert "first failure: " in message


def test_a_result_holds_each_failure_with_its_evidence():
    result = bpcheck.conform(summed_for_mean, only="quadratic/*/mean/*", capabilities=CAPS)
    assert not result.passed and result.status == 1
    assert len(result.failures) == result.counts["failed"] > 0
    f = result.failures[0]
    assert f.id.startswith("quadratic/") and "/mean/" in f.id
    assert f.quantity in ("grad", "step") and f.entry.startswith(("W^", "b^"))
    assert f.evidence and f.hint and f.hint.startswith("grad-sum-cost-mean")
    assert f.got != f.expected and f.bound > 0
    assert "grad-sum-cost-mean" in str(f) and f.id in repr(f)
    assert result.diagnosis["likely"] == "grad-sum-cost-mean"


def test_fixtures_for_my_own_network(tmp_path):
    path = bpcheck.fixtures(tmp_path / "mine.json", "cross-entropy", [6, 5, 3], batch=4,
                            activations=["relu", "softmax"], regime="kink-near-zero")
    assert os.path.getsize(path) > 0
    result = bpcheck.assert_conforms(correct, fixtures=path)
    assert result.counts == {"cases": 1, "passed": 1, "failed": 0, "skipped": 0, "xfailed": 0, "unmeetable": 0}
    assert not bpcheck.conform(summed_for_mean, fixtures=path).passed


def test_fixtures_refuses_a_bad_network(tmp_path):
    with pytest.raises(bpcheck.Error, match="sizes"):
        bpcheck.fixtures(tmp_path / "bad.json", "quadratic", [3])


def test_an_exception_in_answer_fails_its_case_with_the_message():
    def broken(req):
        raise RuntimeError("my layer is broken")
    result = bpcheck.conform(broken, only="quadratic/2-2-1/*")
    assert not result.passed and result.failures
    assert all("my layer is broken" in str(f.detail) for f in result.failures)


def test_unsupported_cases_are_skipped_never_passed():
    def quadratic_only(req):
        if req["model"]["cost"] != "quadratic":
            raise bpcheck.Unsupported("only the quadratic cost")
        return correct(req)
    result = bpcheck.conform(quadratic_only, only=["quadratic/2-2-1/*", "loglik/2-2-1/*"])
    assert result.passed
    assert result.counts["skipped"] > 0 and result.counts["passed"] > 0


def test_a_hung_answer_times_out_and_the_next_case_still_runs():
    ids = ["quadratic/2-2-1/m1/sum/typical", "quadratic/2-2-1/m7/sum/typical"]
    calls = []

    def first_hangs(req):
        if "params" in req:
            calls.append(req["id"])
        if req.get("id") == ids[0]:
            time.sleep(5)
        return correct(req)
    result = bpcheck.conform(first_hangs, only=ids, timeout=1)
    assert [f.id for f in result.failures] == [ids[0]]
    assert result.counts["passed"] == 1


def test_json_lists_when_frames_are_off():
    kinds = set()

    def lists(req):
        if "params" in req:
            kinds.add(type(req["params"]["W"][0]).__name__)
        return correct(req)
    assert bpcheck.conform(lists, only="quadratic/2-2-1/*", frames=()).passed
    assert kinds == {"list"}


def test_bpcheck_cannot_judge_raises_error():
    with pytest.raises(bpcheck.Error, match="matches no case"):
        bpcheck.conform(correct, only="no-such-model/*")
    with pytest.raises(bpcheck.Error, match="not an executable"):
        bpcheck.conform(correct, program="/nonexistent/bpcheck")
    with pytest.raises(ValueError, match="capabilities"):
        bpcheck.conform(correct, capabilities={"cost": ["quadratic"]})
    with pytest.raises(ValueError, match="profile"):
        bpcheck.conform(correct, profile="float16")


def test_assert_conforms_without_pytest_raises_assertion_error():
    code = ("import sys; sys.modules['pytest'] = None; import bpcheck\n"
            "try:\n    bpcheck.assert_conforms(lambda r: {}, only='quadratic/2-2-1/*')\n"
            "except AssertionError as e:\n    print('AssertionError', 'does not conform' in str(e))\n")
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True)
    assert out.stdout.decode().strip() == "AssertionError True"


@pytest.mark.parametrize("blocked,expected", [(False, "bpcheck.protocol"), (True, "bpcheck_protocol")])
def test_templates_import_the_package_else_the_module_beside_them(blocked, expected):
    code = ("import sys\n" + ("sys.modules['bpcheck'] = None\n" if blocked else "") +
            "sys.path.insert(0, %r)\nimport numpy_adapter, torch_adapter\n"
            "print(numpy_adapter.bp.__name__, torch_adapter.bp.__name__)\n" % ADAPTERS)
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True)
    assert out.stdout.decode().split() == [expected, expected]
