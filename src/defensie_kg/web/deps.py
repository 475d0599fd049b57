"""FastAPI dependencies: the running app's state (overridable in tests)."""

from __future__ import annotations

from fastapi import Request

from defensie_kg.web.state import AppState


def get_state(request: Request) -> AppState:
    """The :class:`AppState` loaded by the lifespan."""
    state: AppState = request.app.state.kg
    return state
