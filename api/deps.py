"""Request dependencies: a database connection behind the gate, and the search filters (checked in memory)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import psycopg
from fastapi import Depends, Query, Request
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from api.auth import current_principal
from api.replicas import Replica, ReplicaSet
from gis.access import Principal
from gis.db import Conn, checked_getconn, getconn_now
from gis.layers.filters import Filters, check_codes

T = TypeVar("T")
_SPLIT = re.compile(r"[,\s]+")


async def get_conn(request: Request, _principal: Principal = Depends(current_principal)) -> AsyncIterator[Conn]:
    """A pooled read-only connection, taken after a slot of the gate (queueing on the event loop).

    Holding a slot guarantees that a connection is free, so the worker thread that fetches it never waits for
    another request: no stall whatever the concurrency. A replica that has replayed the data version being served
    answers when there is one (:mod:`api.replicas`), else the primary. The request's credentials are checked first,
    on the primary (with their own slot, released before this one is taken): a request never holds two slots, and a
    revocation is seen at once whatever the replicas' lag.
    """
    state = request.app.state
    replicas = state.replicas
    replica = replicas.pick(state.data.current()) if replicas else None
    if replica is not None:
        async with replica.gate.slot():
            conn = await _replica_conn(replicas, replica)
            if conn is not None:
                replica.served += 1
                try:
                    yield conn
                finally:
                    replica.pool.putconn(conn)
                return
    async with _primary_conn(state) as conn:
        yield conn


async def get_primary_conn(request: Request, _principal: Principal = Depends(current_principal)) -> AsyncIterator[Conn]:
    """A pooled connection of the primary, never a replica: for the requests that write (anomaly reports, zone edits)
    and for the reads that must see the latest writes (a zone's ETag, the reports being processed)."""
    async with _primary_conn(request.app.state) as conn:
        yield conn


@asynccontextmanager
async def _primary_conn(state: State) -> AsyncIterator[Conn]:
    """A connection of the primary's pool, taken after a slot of the gate and returned to the pool at the end."""
    async with state.gate.slot():
        conn = await _take(state.pool)
        try:
            yield conn
        finally:
            state.pool.putconn(conn)


async def _take(pool: ConnectionPool[Conn]) -> Conn:
    """A connection of ``pool`` (the caller holds a slot, so one is free or being refilled).

    An idle live connection is taken on the loop (no I/O, no thread hop); otherwise (pool refilling after a database
    restart) a worker thread waits for one.
    """
    conn = getconn_now(pool)
    if conn is None:
        conn = await run_in_threadpool(checked_getconn, pool)
    return conn


async def run_write(request: Request, work: Callable[[Conn], T]) -> T:
    """Run ``work(conn)`` in one read-write transaction on a pooled connection, behind the gate, in a worker thread.

    The API's connections are read-only by default; the transaction is committed when ``work`` returns and rolled
    back when it raises.
    """
    state = request.app.state

    def run() -> T:
        conn = checked_getconn(state.pool)
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION READ WRITE")
                return work(conn)
        finally:
            state.pool.putconn(conn)

    async with state.gate.slot():
        return await run_in_threadpool(run)


async def _replica_conn(replicas: ReplicaSet, replica: Replica) -> Conn | None:
    """A connection of ``replica``, or None (and the replica set aside) when it cannot give one in time."""
    try:
        return await _take(replica.pool)
    except (PoolTimeout, psycopg.OperationalError) as exc:
        replicas.failed(replica, exc)
        return None


def _codes(values: list[str]) -> list[str]:
    return [c for v in values for c in _SPLIT.split(v.strip()) if c]




_TYPE_HELP = "Code(s) de type d'offre (JDV_J238), répétable"


async def filters_dep(
    request: Request,
    type_offre: list[str] = Query([], description=_TYPE_HELP),
    categorie: list[str] = Query([], description="Catégorie d'établissement FINESS (TRE_R66)"),
    activite: list[str] = Query([], description="Activité opérationnelle (JDV_J17)"),
    mode_prise_en_charge: list[str] = Query([], description="Mode de prise en charge (TRE_R213)"),
    public: list[str] = Query([], description="Public pris en charge (JDV_J29)"),
    champ: list[str] = Query([], description="Champ d'activité (TRE_R227)"),
    age: int | None = Query(None, ge=0, le=130, description="Âge de la personne (ans)"),
) -> Filters:
    """The search filters, checked against the in-memory nomenclatures of the current data version.

    Raises InvalidInput (422) for malformed or unknown codes.
    """
    return _checked(request, type_offre, categorie, activite, mode_prise_en_charge, public, champ, age)


async def coverage_filters_dep(
    request: Request,
    type_offre: list[str] = Query(..., min_length=1, description=_TYPE_HELP + " (obligatoire)"),
    categorie: list[str] = Query([], description="Catégorie d'établissement FINESS (TRE_R66)"),
    activite: list[str] = Query([], description="Activité opérationnelle (JDV_J17)"),
    mode_prise_en_charge: list[str] = Query([], description="Mode de prise en charge (TRE_R213)"),
    public: list[str] = Query([], description="Public pris en charge (JDV_J29)"),
    champ: list[str] = Query([], description="Champ d'activité (TRE_R227)"),
    age: int | None = Query(None, ge=0, le=130, description="Âge de la personne (ans)"),
) -> Filters:
    """:func:`filters_dep` with at least one type d'offre (coverage maps are per type)."""
    return _checked(request, type_offre, categorie, activite, mode_prise_en_charge, public, champ, age)


def _checked(request: Request, type_offre: list[str], categorie: list[str], activite: list[str],
             mode_prise_en_charge: list[str], public: list[str], champ: list[str], age: int | None) -> Filters:
    filters = Filters(
        type_offre=_codes(type_offre),
        categorie=_codes(categorie),
        activite=_codes(activite),
        mode_prise_en_charge=_codes(mode_prise_en_charge),
        public=_codes(public),
        champ=_codes(champ),
        age=age,
    )
    catalog = request.app.state.data.catalog
    if catalog is not None:
        check_codes(filters, catalog)
    return filters
