"""Personal fields encrypted at rest with a key per person, so that erasing the key erases them.

Names, phone numbers, addresses, free texts, dialogue drafts and pending replies are stored as
`enc1:<key id>:<nonce and ciphertext>` (AES-GCM, the `cryptography` package). Each person has
one key (`person_keys`, owned by their user key, such as `telegram:42`); erasing the person
deletes the key, and every copy of their data that a database keeps after a `DELETE` or `UPDATE`
(dead row versions, the write-ahead log, a backup) becomes unreadable: crypto-shredding. The key
table is small and is compacted after an erasure (`compact`), so the key itself is gone from the
data files too. With `DATA_KEY` set, the keys themselves are stored encrypted with it, so the
write-ahead log and backups hold no usable key either.

Each engine carries a `Keyring` (on its dialect, where column types find it): the keys it knows,
brought up to date at the start of every transaction with the keys created and erased since, so
that reading a sealed value never has to wait for the database. A value read whose key the
keyring does not know raises `KeyUnavailable`; the transaction fails and is tried again.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, delete, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Erasure, PersonKey, table_of
from storage.types import PREFIX, Sealed

log = logging.getLogger(__name__)

KEYS = table_of(PersonKey)
ERASURES = table_of(Erasure)
# Keys created or erased in other processes are read again if they are at most this much older
# than the last look: a transaction that commits a key later than that is not expected.
OVERLAP = timedelta(seconds=60)
_ERASED = "erased owners"  # in a session's `info`: owners whose key it destroyed


class KeyUnavailable(Exception):
    """A sealed value whose key this process does not know (yet, or any more)."""


def _now() -> datetime:
    # The real time, even where the bot's clock is frozen (tests): keys are bookkeeping.
    return datetime.now(UTC)


class Keyring:
    def __init__(self, master: bytes | None = None) -> None:
        self._wrap = AESGCM(master) if master is not None else None
        self._stored: dict[str, bytes] = {}  # key id -> the key as stored (wrapped or not)
        self._ciphers: dict[str, AESGCM] = {}  # key id -> cipher, once used
        self._owners: dict[str, str] = {}  # owner -> key id, as committed when last looked
        self._looked: datetime | None = None  # None: the key table may not exist yet

    # --- keeping up with the database (in every transaction, on its connection) --------------

    def refresh(self, connection: Connection) -> None:
        """Learn the keys created and erased since the last look (all keys, the first time)."""
        if self._looked is None and not connection.dialect.has_table(connection, "person_keys"):
            return  # not migrated yet
        since = self._looked - OVERLAP if self._looked is not None else None
        looked = _now()
        query = select(KEYS.c.kid, KEYS.c.owner, KEYS.c.key)
        if since is not None:
            query = query.where(KEYS.c.created_at >= since)
        for kid, owner, key in connection.execute(query):
            self._learn(kid, owner, key)
        if since is not None:
            erased = select(ERASURES.c.kid).where(ERASURES.c.erased_at >= since)
            for (kid,) in connection.execute(erased):
                self._forget(kid)
        self._looked = looked

    def _learn(self, kid: str, owner: str | None, key: bytes) -> None:
        self._stored.setdefault(kid, bytes(key))
        if owner is not None:
            self._owners[owner] = kid

    def _forget(self, kid: str) -> None:
        self._stored.pop(kid, None)
        self._ciphers.pop(kid, None)
        for owner in [o for o, k in self._owners.items() if k == kid]:
            del self._owners[owner]

    def _unwrap(self, kid: str, key: bytes) -> bytes:
        try:
            if self._wrap is None:
                if len(key) != 32:
                    raise InvalidTag
                return key
            return self._wrap.decrypt(key[:12], key[12:], kid.encode())
        except InvalidTag:
            raise KeyUnavailable(
                "the people's keys cannot be opened: DATA_KEY is missing or not the one they "
                "were stored with"
            ) from None

    def _wrapped(self, kid: str, key: bytes) -> bytes:
        if self._wrap is None:
            return key
        nonce = os.urandom(12)
        return nonce + self._wrap.encrypt(nonce, key, kid.encode())

    def reset(self) -> None:
        """Forget every key learned: for when the key table changed behind the keyring's back
        (restored from a backup, or emptied by a test); the next transaction reads it afresh."""
        self._stored.clear()
        self._ciphers.clear()
        self._owners.clear()
        self._looked = None

    # --- keys of people --------------------------------------------------------------------------

    async def kids_of(self, session: AsyncSession, owners: Sequence[str]) -> dict[str, str]:
        """The key id of each owner, creating keys for those who have none, in the caller's
        transaction; none for an owner erased in it (what is still said to them is not theirs
        to keep)."""
        erased = session.info.get(_ERASED, set())
        owners = [owner for owner in owners if owner not in erased]
        found = {owner: self._owners[owner] for owner in owners if owner in self._owners}
        missing = sorted(set(owners) - set(found))
        if not missing:
            return found
        connection = await session.connection()
        rows = await connection.execute(
            select(KEYS.c.owner, KEYS.c.kid, KEYS.c.key).where(KEYS.c.owner.in_(missing))
        )
        for owner, kid, key in rows:
            self._learn(kid, None, key)  # committed, or this transaction's: not cached by owner
            found[owner] = kid
        new = [owner for owner in missing if owner not in found]
        if new:
            created = []
            for owner in new:
                kid, key = secrets.token_hex(8), AESGCM.generate_key(bit_length=256)
                self._ciphers[kid] = AESGCM(key)
                found[owner] = kid
                created.append(
                    {
                        "kid": kid,
                        "owner": owner,
                        "key": self._wrapped(kid, key),
                        "created_at": _now(),
                    }
                )
            await connection.execute(insert(KEYS), created)
        return found

    async def destroy(self, session: AsyncSession, owner: str) -> None:
        """Erase the person's key in the caller's transaction: what was sealed with it is gone."""
        connection = await session.connection()
        kids = (
            (
                await connection.execute(
                    delete(KEYS).where(KEYS.c.owner == owner).returning(KEYS.c.kid)
                )
            )
            .scalars()
            .all()
        )
        for kid in kids:
            await connection.execute(insert(ERASURES).values(kid=kid, erased_at=_now()))
            self._forget(kid)
        session.info.setdefault(_ERASED, set()).add(owner)

    # --- sealing -------------------------------------------------------------------------------

    def seal(self, kid: str, value: str) -> str:
        return PREFIX + kid + ":" + base64.b64encode(self.seal_bytes(kid, value.encode())).decode()

    def open(self, token: str) -> str:
        kid, _sep, payload = token.removeprefix(PREFIX).partition(":")
        return self.open_bytes(kid, base64.b64decode(payload)).decode()

    def seal_bytes(self, kid: str, value: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._cipher(kid).encrypt(nonce, value, kid.encode())

    def open_bytes(self, kid: str, sealed: bytes) -> bytes:
        try:
            return self._cipher(kid).decrypt(sealed[:12], sealed[12:], kid.encode())
        except InvalidTag:
            raise KeyUnavailable(kid) from None

    def _cipher(self, kid: str) -> AESGCM:
        cipher = self._ciphers.get(kid)
        if cipher is None:
            stored = self._stored.get(kid)
            if stored is None:
                raise KeyUnavailable(kid)
            cipher = self._ciphers[kid] = AESGCM(self._unwrap(kid, stored))
        return cipher

    def seal_json(self, kid: str, value: Any) -> str:
        return self.seal(kid, json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def open_json(self, value: Any) -> Any:
        """A JSON value as stored: sealed (a string with the prefix) or plain."""
        if isinstance(value, str) and value.startswith(PREFIX):
            return json.loads(self.open(value))
        return value

    def seal_file(self, kid: str, content: bytes) -> bytes:
        return PREFIX.encode() + kid.encode() + b":" + self.seal_bytes(kid, content)

    def open_file(self, stored: bytes) -> bytes:
        if not stored.startswith(PREFIX.encode()):
            return stored
        kid, _sep, sealed = stored.removeprefix(PREFIX.encode()).partition(b":")
        return self.open_bytes(kid.decode(), sealed)


def attach(engine: AsyncEngine, master: bytes | None = None) -> Keyring:
    """Give an engine its keyring, kept up to date at the start of every transaction."""
    keyring = Keyring(master)
    engine.sync_engine.dialect.keyring = keyring  # type: ignore[attr-defined]
    event.listen(engine.sync_engine, "begin", keyring.refresh)
    return keyring


def keyring_of(session: AsyncSession) -> Keyring:
    """The keyring of the engine a session works on."""
    keyring: Keyring = session.sync_session.get_bind().dialect.keyring  # type: ignore[attr-defined]
    return keyring


async def sealer(session: AsyncSession, owner: str) -> Seal:
    """What marks values as the owner's, to be sealed with their key when written."""
    kid = (await keyring_of(session).kids_of(session, [owner]))[owner]
    return Seal(kid)


class Seal:
    """Marks values as one person's (`Sealed`); None and "" stay as they are."""

    def __init__(self, kid: str) -> None:
        self.kid = kid

    def __call__(self, value: str | None) -> str | None:
        return Sealed(value, self.kid) if value else value


async def compact(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """After erasures, rewrite the key table so erased keys leave the data files (and, on SQLite,
    the write-ahead log); returns whether there was anything to do."""
    async with sessions() as session:
        engine = session.bind
    assert isinstance(engine, AsyncEngine)
    async with engine.begin() as connection:
        pending = (
            await connection.execute(
                select(ERASURES.c.kid).where(ERASURES.c.compacted_at.is_(None)).limit(1)
            )
        ).first()
    if pending is None:
        return False
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM FULL person_keys"))
        else:
            # Outside any transaction: copy the log into the file, then empty the log.
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    async with engine.begin() as connection:
        await connection.execute(
            ERASURES.update().where(ERASURES.c.compacted_at.is_(None)).values(compacted_at=_now())
        )
    return True
