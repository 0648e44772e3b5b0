"""The browser harness itself: an inline anywidget renders, syncs a click to Python, no errors."""

from __future__ import annotations

import pytest

from ._harness import NotebookSession

COUNTER_CELLS = [
    '''
import anywidget
import traitlets


class Counter(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const button = document.createElement("button");
        button.dataset.testid = "smoke-counter";
        const show = () => { button.textContent = `count is ${model.get("count")}`; };
        button.addEventListener("click", () => {
          model.set("count", model.get("count") + 1);
          model.save_changes();
        });
        model.on("change:count", show);
        show();
        el.appendChild(button);
      },
    };
    """
    count = traitlets.Int(0).tag(sync=True)
''',
    "w = Counter()\nw",
]


@pytest.mark.browser
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_inline_anywidget_round_trip(notebook, ui: str) -> None:
    nb: NotebookSession = notebook(COUNTER_CELLS, ui=ui)
    button = nb.output(1).get_by_test_id("smoke-counter")
    button.wait_for(state="visible")
    assert button.inner_text() == "count is 0"

    button.click()
    button.click()
    nb.eval_until("w.count", "2")  # the click reached the Python trait
    assert button.inner_text() == "count is 2"

    nb.eval("w.count = 10")  # and Python -> page
    page_text = nb.page.get_by_test_id("smoke-counter")
    page_text.filter(has_text="count is 10").wait_for()

    shot = nb.screenshot(f"counter-{ui}")
    assert shot.stat().st_size > 0
    nb.assert_no_errors()
    print(
        f"[{ui}] open {nb.timings['open']:.1f}s, kernel ready {nb.timings['kernel_ready']:.1f}s,"
        f" run all {nb.timings['run_all']:.1f}s"
    )


@pytest.mark.browser
def test_eval_reports_kernel_errors_and_dialogs_are_recorded(notebook) -> None:
    nb: NotebookSession = notebook(["x = 41"], ui="lab")
    assert nb.eval("x + 1") == "42"
    assert nb.eval("print('hi')") == "hi\n"
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        nb.eval("1 / 0")
    nb.page.evaluate("() => { alert('boom') }")
    assert nb.dialogs == ["alert: boom"]
    with pytest.raises(AssertionError, match="dialog: alert: boom"):
        nb.assert_no_errors()


@pytest.mark.browser
def test_cell_error_is_reported(notebook) -> None:
    nb: NotebookSession = notebook(["raise ValueError('bad cell')"], ui="lab", run=False)
    with pytest.raises(AssertionError, match="ValueError: bad cell"):
        nb.run_all()
