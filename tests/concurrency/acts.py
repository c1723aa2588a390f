"""Row actions as an operator does them over HTTP (open the dialog, then submit it), and the verdict on
a race between several of them: one page says "done", every other one says why not."""

from __future__ import annotations

from dataclasses import dataclass, field

from illdesk.workflow import status_label

from .web import Operator, Page

NOT_AVAILABLE = "This action is not available for this request now."


@dataclass(frozen=True)
class Act:
    """One row action: `name` as in the URL, the form it posts, and the status it leads to."""

    name: str
    then: str
    data: dict = field(default_factory=dict)
    dialog: bool = True  # False: a confirm button of the request page (…/do/<name>/)

    def url(self, side: str, pk: int) -> str:
        return f"/{side}/{pk}/dialog/{self.name}/" if self.dialog else f"/{side}/{pk}/do/{self.name}/"


def acting(op: Operator, side: str, req, act: Act):
    """An actor (see race.py): opens the dialog (or the request page) first, then submits."""
    detail = f"/{side}/{req.pk}/"

    def actor(go):
        opened = op.get(act.url(side, req.pk) if act.dialog else detail)
        assert opened.status == 200, f"{op.username} could not open {act.name}: {opened.status}"
        if not act.dialog:
            assert act.name in opened.actions, f"{act.name} not offered to {op.username}: {opened.actions}"
        go()
        return op.post(act.url(side, req.pk), act.data)

    return actor


def is_done(page: Page, side: str, pk: int) -> bool:
    """The action ran: back on the request page with a success message."""
    return (page.status == 200 and page.url.endswith(f"/{side}/{pk}/")
            and any(level == "success" for level, _text in page.messages))


def told_why_not(page: Page, model, status: str) -> bool:
    """Refused with the page that says so, naming why: not offered any more, or the status it is in now
    (what the loser of a race must see once the winner's change is visible to it)."""
    if page.status != 409:
        return False
    said, label = page.refusal, status_label(model, status)
    return said == NOT_AVAILABLE or said.endswith(f"is not possible while the request is “{label}”.")


def one_winner(pages: list[Page], side: str, req) -> int:
    """The index of the one page that says done; every other page must be a clear refusal."""
    model = type(req)
    current = model.objects.get(pk=req.pk)
    described = [(p.status, p.url, p.refusal or p.messages) for p in pages]
    won = [i for i, page in enumerate(pages) if is_done(page, side, req.pk)]
    assert len(won) == 1, f"request {req.pk}: expected exactly one success, got {described}"
    for i, page in enumerate(pages):
        if i != won[0]:
            assert told_why_not(page, model, current.status), \
                f"request {req.pk}: the loser was not told clearly why ({described})"
    return won[0]
