"""Every row action of every side says what it does: a form that does its action on save, a confirmation
with the action it confirms, a page of its own, or a confirm-only button with the side's action for it."""

import pytest

from illdesk import sides
from illdesk.dialogs import Dialog, DialogForm


def what_it_does(view, dialog: Dialog) -> str | None:
    if dialog.name in view.pages:
        return "page"
    if dialog.run is not None:
        return "confirmed action"
    form = dialog.form_class
    if form is not None and issubclass(form, DialogForm) and form.save is not DialogForm.save:
        return "form.save"
    return None


@pytest.mark.parametrize("side", sides.names())
def test_every_dialog_of_a_side_does_something(side):
    view = sides.get(side).view()
    assert view.dialogs and view.simple_actions
    silent = [d.name for d in view.dialogs if what_it_does(view, d) is None]
    assert not silent, f"{side} dialogs that do nothing on submit: {silent}"
    assert all(callable(run) for run in view.simple_actions.values())


def test_a_form_without_save_is_caught():
    class Mute(DialogForm):
        pass

    class Stub:
        pages: dict = {}

    assert what_it_does(Stub(), Dialog("mute", "Mute", Mute)) is None
    with pytest.raises(NotImplementedError):
        Dialog("mute", "Mute", Mute).perform(None, Mute(), user=None)
