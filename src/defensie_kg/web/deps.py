"""FastAPI dependencies: the running app's state (overridable in tests)."""

from __future__ import annotations

from fastapi import Request

from defensie_kg.web.state import AppState


async def get_state(request: Request) -> AppState:
    """The :class:`AppState` loaded by the lifespan, once its in-process graph is there."""
    state: AppState = request.app.state.kg
    await state.wait_graph()
    return state
