"""The states of a row of the distribution ledger, and the one table of the changes between
them. The ledger checks every change against :data:`TRANSITIONS` before it writes anything, so a
change no step of a distribution makes (an ``accepted`` row made ``stamped`` again, say) is an
error, never a row rewritten. The stored values are these same names: a ledger written before
this module reads the same.
"""

from __future__ import annotations

from enum import StrEnum

from brief.errors import DistributionError


class State(StrEnum):
    """Where one recipient's copy of one distribution is."""

    PLANNED = "planned"  # in the ledger, no copy made yet
    STAMPED = "stamped"  # the copy and its message are on disk, not handed to a server
    SENDING = "sending"  # claimed and being handed over; left so, the server may have it (unknown)
    ACCEPTED = "accepted"  # the server took it: never sent again
    REFUSED = "refused"  # the server refused it (5xx): sent again only with --retry-refused


# Every change a step of a distribution makes, from the state a row is in. A change to the same
# state records a new hash or reply (a copy stamped again, a 4xx before the message was handed
# over, a claim under --resend-unknown). A row is created ``planned`` and forgotten (deleted) only
# from ``planned`` or ``stamped``: neither is a change of state.
TRANSITIONS: dict[State, frozenset[State]] = {
    # stamped: the copy made (again, byte for byte, when a run stopped before recording its message)
    State.PLANNED: frozenset({State.STAMPED}),
    # sending: the envelope accepted and the row claimed; refused: refused at the envelope (RCPT 5xx);
    # stamped: a 4xx before anything was handed over
    State.STAMPED: frozenset({State.STAMPED, State.SENDING, State.REFUSED}),
    # accepted | refused: the server's answer; stamped: a 4xx to the data, or settled as "resend";
    # sending: claimed again under --resend-unknown (or a 4xx at its envelope)
    State.SENDING: frozenset({State.SENDING, State.ACCEPTED, State.REFUSED, State.STAMPED}),
    State.ACCEPTED: frozenset(),  # final: the ledger keeps what was sent
    # sending: claimed again under --retry-refused; refused: refused (or a 4xx) at its envelope again
    State.REFUSED: frozenset({State.REFUSED, State.SENDING}),
}
OFFERED = frozenset({State.SENDING, State.ACCEPTED, State.REFUSED})  # a server was offered the message


def check_transition(was: State | str, to: State | str) -> None:
    """Nothing when a row in state *was* may be made *to*; else a :class:`DistributionError`
    (a state that is not one of :class:`State` too)."""
    try:
        before, after = State(was), State(to)
    except ValueError as exc:
        raise DistributionError(
            f"no such state of a ledger row ({exc})", hint=f"the states are {', '.join(State)}"
        ) from None
    if after not in TRANSITIONS[before]:
        allowed = ", ".join(sorted(TRANSITIONS[before])) or "none: it is final"
        raise DistributionError(
            f"a ledger row {before} cannot be made {after} (from {before}: {allowed})",
            hint="this is a fault in brief, not in your input: please report it",
        )


def table() -> str:
    """The transitions as a Markdown table (the one in docs/distributing.md)."""
    head = "| from \\ to | " + " | ".join(f"`{s}`" for s in State) + " |"
    rule = "|---" * (len(State) + 1) + "|"
    rows = [f"| `{w}` | " + " | ".join("✓" if t in TRANSITIONS[w] else "" for t in State) + " |" for w in State]
    return "\n".join([head, rule, *rows])
