"""SQLite implementation of the ``DirectoryRepo`` port: domains, accounts, aliases.

Addresses arrive normalised (lower-case) from ``directory``; this module only stores and
finds them. Removing an account removes its mailboxes and messages in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from courriel.storage.errors import AlreadyExists, Conflict, NotFound
from courriel.storage.listing import DomainUsage, prefix_upper_bound
from courriel.storage.records import AccountRecord, AliasRecord, DkimKeyRecord, DomainRecord
from courriel.storage.sqlite.engine import SqliteEngine
from courriel.storage.sqlite.messages import drop_mailbox_messages

_ACCOUNT_COLUMNS = (
    "id, address, domain_id, display_name, password_hash, scram_keys, disabled, admin, "
    "quota_bytes, used_bytes, message_count, created"
)


def _account(row: Any) -> AccountRecord:
    return AccountRecord(
        id=row[0],
        address=row[1],
        domain_id=row[2],
        display_name=row[3],
        password_hash=row[4],
        scram_keys=row[5],
        disabled=bool(row[6]),
        admin=bool(row[7]),
        quota_bytes=row[8],
        used_bytes=row[9],
        message_count=row[10],
        created=row[11],
    )


def _alias(row: Any) -> AliasRecord:
    return AliasRecord(id=row[0], address=row[1], targets=tuple(json.loads(row[2])), created=row[3])


def _listing_filter(prefix: str, domain: str | None) -> tuple[str, tuple[object, ...]]:
    """The WHERE clause of a paged listing of ``account`` or ``alias``: an address range
    (the unique address index answers it, unlike ``LIKE``) and the domain, when given."""
    clause = "address >= ? AND address < ?"
    parameters: tuple[object, ...] = (prefix, prefix_upper_bound(prefix))
    if domain is not None:
        clause += " AND domain_id = (SELECT id FROM domain WHERE name = ?)"
        parameters += (domain,)
    return clause, parameters


def _domain_id(connection: sqlite3.Connection, address: str) -> int:
    domain = address.rpartition("@")[2]
    row = connection.execute("SELECT id FROM domain WHERE name = ?", (domain,)).fetchone()
    if row is None:
        raise NotFound(f"domain {domain} does not exist")
    return int(row[0])


def _address_taken(connection: sqlite3.Connection, address: str) -> bool:
    return (
        connection.execute(
            "SELECT 1 FROM account WHERE address = ? "
            "UNION ALL SELECT 1 FROM alias WHERE address = ?",
            (address, address),
        ).fetchone()
        is not None
    )


class SqliteDirectoryRepo:
    """Domains, accounts and aliases in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    async def add_domain(self, name: str) -> DomainRecord:
        def add(connection: sqlite3.Connection) -> DomainRecord:
            now = time.time()
            try:
                cursor = connection.execute(
                    "INSERT INTO domain (name, created) VALUES (?, ?)", (name, now)
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"domain {name} already exists") from None
            return DomainRecord(id=int(cursor.lastrowid or 0), name=name, created=now)

        return await self._engine.write(add)

    async def get_domain(self, name: str) -> DomainRecord | None:
        def get(connection: sqlite3.Connection) -> DomainRecord | None:
            row = connection.execute(
                "SELECT id, name, created FROM domain WHERE name = ?", (name,)
            ).fetchone()
            return None if row is None else DomainRecord(*row)

        return await self._engine.read(get)

    async def list_domains(self) -> list[DomainRecord]:
        def list_(connection: sqlite3.Connection) -> list[DomainRecord]:
            rows = connection.execute("SELECT id, name, created FROM domain ORDER BY name")
            return [DomainRecord(*row) for row in rows]

        return await self._engine.read(list_)

    async def remove_domain(self, name: str) -> None:
        def remove(connection: sqlite3.Connection) -> None:
            row = connection.execute("SELECT id FROM domain WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFound(f"domain {name} does not exist")
            accounts = connection.execute(
                "SELECT count(*) FROM account WHERE domain_id = ?", (row[0],)
            ).fetchone()[0]
            aliases = connection.execute(
                "SELECT count(*) FROM alias WHERE domain_id = ?", (row[0],)
            ).fetchone()[0]
            if accounts or aliases:
                raise Conflict(
                    f"domain {name} still has {accounts} account(s) and {aliases} alias(es)"
                )
            connection.execute("DELETE FROM dkim_key WHERE domain_id = ?", (row[0],))
            connection.execute("DELETE FROM domain WHERE id = ?", (row[0],))

        await self._engine.write(remove)

    async def add_account(
        self,
        address: str,
        *,
        password_hash: str | None,
        scram_keys: str | None,
        display_name: str = "",
        quota_bytes: int = 0,
        admin: bool = False,
    ) -> AccountRecord:
        def add(connection: sqlite3.Connection) -> AccountRecord:
            domain_id = _domain_id(connection, address)
            if _address_taken(connection, address):
                raise AlreadyExists(f"{address} is already an account or an alias")
            now = time.time()
            cursor = connection.execute(
                "INSERT INTO account (address, domain_id, display_name, password_hash, "
                "scram_keys, admin, quota_bytes, next_uidvalidity, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    address,
                    domain_id,
                    display_name,
                    password_hash,
                    scram_keys,
                    int(admin),
                    quota_bytes,
                    int(now),
                    now,
                ),
            )
            row = connection.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM account WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
            return _account(row)

        return await self._engine.write(add)

    async def get_account(self, address: str) -> AccountRecord | None:
        def get(connection: sqlite3.Connection) -> AccountRecord | None:
            row = connection.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM account WHERE address = ?", (address,)
            ).fetchone()
            return None if row is None else _account(row)

        return await self._engine.read(get)

    async def get_account_by_id(self, account_id: int) -> AccountRecord | None:
        def get(connection: sqlite3.Connection) -> AccountRecord | None:
            row = connection.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM account WHERE id = ?", (account_id,)
            ).fetchone()
            return None if row is None else _account(row)

        return await self._engine.read(get)

    async def list_accounts(self, domain: str | None = None) -> list[AccountRecord]:
        def list_(connection: sqlite3.Connection) -> list[AccountRecord]:
            if domain is None:
                rows = connection.execute(
                    f"SELECT {_ACCOUNT_COLUMNS} FROM account ORDER BY address"
                )
            else:
                rows = connection.execute(
                    f"SELECT {_ACCOUNT_COLUMNS} FROM account WHERE domain_id = "
                    "(SELECT id FROM domain WHERE name = ?) ORDER BY address",
                    (domain,),
                )
            return [_account(row) for row in rows]

        return await self._engine.read(list_)

    async def update_account(
        self,
        address: str,
        *,
        password_hash: str | None = None,
        scram_keys: str | None = None,
        display_name: str | None = None,
        quota_bytes: int | None = None,
        disabled: bool | None = None,
        admin: bool | None = None,
    ) -> AccountRecord:
        changes: dict[str, object] = {
            "password_hash": password_hash,
            "scram_keys": scram_keys,
            "display_name": display_name,
            "quota_bytes": quota_bytes,
            "disabled": None if disabled is None else int(disabled),
            "admin": None if admin is None else int(admin),
        }
        assignments = {column: value for column, value in changes.items() if value is not None}

        def update(connection: sqlite3.Connection) -> AccountRecord:
            if assignments:
                setters = ", ".join(f"{column} = ?" for column in assignments)
                connection.execute(
                    f"UPDATE account SET {setters} WHERE address = ?",
                    (*assignments.values(), address),
                )
            row = connection.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM account WHERE address = ?", (address,)
            ).fetchone()
            if row is None:
                raise NotFound(f"account {address} does not exist")
            return _account(row)

        return await self._engine.write(update)

    async def remove_account(self, address: str) -> None:
        def remove(connection: sqlite3.Connection) -> None:
            row = connection.execute(
                "SELECT id FROM account WHERE address = ?", (address,)
            ).fetchone()
            if row is None:
                raise NotFound(f"account {address} does not exist")
            account_id = row[0]
            now = time.time()
            for (mailbox_id,) in connection.execute(
                "SELECT id FROM mailbox WHERE account_id = ?", (account_id,)
            ).fetchall():
                drop_mailbox_messages(connection, mailbox_id, now)
                connection.execute("DELETE FROM vanished WHERE mailbox_id = ?", (mailbox_id,))
            connection.execute("DELETE FROM mailbox WHERE account_id = ?", (account_id,))
            connection.execute("DELETE FROM subscription WHERE account_id = ?", (account_id,))
            connection.execute("DELETE FROM thread_ref WHERE account_id = ?", (account_id,))
            for table in ("app_password", "totp", "recovery_code", "spam_feedback"):
                connection.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
            connection.execute("DELETE FROM account WHERE id = ?", (account_id,))

        await self._engine.write(remove)

    async def add_alias(self, address: str, targets: Sequence[str]) -> AliasRecord:
        def add(connection: sqlite3.Connection) -> AliasRecord:
            domain_id = _domain_id(connection, address)
            if _address_taken(connection, address):
                raise AlreadyExists(f"{address} is already an account or an alias")
            now = time.time()
            cursor = connection.execute(
                "INSERT INTO alias (address, domain_id, targets, created) VALUES (?, ?, ?, ?)",
                (address, domain_id, json.dumps(list(targets)), now),
            )
            return AliasRecord(
                id=int(cursor.lastrowid or 0), address=address, targets=tuple(targets), created=now
            )

        return await self._engine.write(add)

    async def get_alias(self, address: str) -> AliasRecord | None:
        def get(connection: sqlite3.Connection) -> AliasRecord | None:
            row = connection.execute(
                "SELECT id, address, targets, created FROM alias WHERE address = ?", (address,)
            ).fetchone()
            return None if row is None else _alias(row)

        return await self._engine.read(get)

    async def list_aliases(self, domain: str | None = None) -> list[AliasRecord]:
        def list_(connection: sqlite3.Connection) -> list[AliasRecord]:
            query = "SELECT id, address, targets, created FROM alias"
            if domain is None:
                rows = connection.execute(query + " ORDER BY address")
            else:
                rows = connection.execute(
                    query + " WHERE domain_id = (SELECT id FROM domain WHERE name = ?) "
                    "ORDER BY address",
                    (domain,),
                )
            return [_alias(row) for row in rows]

        return await self._engine.read(list_)

    async def remove_alias(self, address: str) -> None:
        def remove(connection: sqlite3.Connection) -> None:
            cursor = connection.execute("DELETE FROM alias WHERE address = ?", (address,))
            if cursor.rowcount == 0:
                raise NotFound(f"alias {address} does not exist")

        await self._engine.write(remove)

    async def add_dkim_key(
        self,
        domain: str,
        selector: str,
        algorithm: str,
        private_key: str,
        dns_record: str,
        *,
        active: bool = True,
    ) -> DkimKeyRecord:
        def add(connection: sqlite3.Connection) -> DkimKeyRecord:
            domain_id = _domain_id(connection, "@" + domain)
            now = time.time()
            try:
                cursor = connection.execute(
                    "INSERT INTO dkim_key (domain_id, selector, algorithm, private_key, "
                    "dns_record, active, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (domain_id, selector, algorithm, private_key, dns_record, int(active), now),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"selector {selector} already exists for {domain}") from None
            return DkimKeyRecord(
                int(cursor.lastrowid or 0),
                domain,
                selector,
                algorithm,
                private_key,
                dns_record,
                active,
                now,
            )

        return await self._engine.write(add)

    async def list_dkim_keys(self, domain: str) -> list[DkimKeyRecord]:
        def list_(connection: sqlite3.Connection) -> list[DkimKeyRecord]:
            rows = connection.execute(
                "SELECT k.id, d.name, k.selector, k.algorithm, k.private_key, k.dns_record, "
                "k.active, k.created FROM dkim_key k JOIN domain d ON d.id = k.domain_id "
                "WHERE d.name = ? ORDER BY k.created, k.id",
                (domain,),
            )
            return [
                DkimKeyRecord(
                    id=row[0],
                    domain=row[1],
                    selector=row[2],
                    algorithm=row[3],
                    private_key=row[4],
                    dns_record=row[5],
                    active=bool(row[6]),
                    created=row[7],
                )
                for row in rows
            ]

        return await self._engine.read(list_)

    async def remove_dkim_key(self, domain: str, selector: str) -> None:
        def remove(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                "DELETE FROM dkim_key WHERE selector = ? AND domain_id = "
                "(SELECT id FROM domain WHERE name = ?)",
                (selector, domain),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"{domain} has no DKIM selector {selector}")

        await self._engine.write(remove)

    async def activate_dkim_keys(self, domain: str, selectors: Sequence[str]) -> None:
        def activate(connection: sqlite3.Connection) -> None:
            domain_id = _domain_id(connection, "@" + domain)
            known = {
                row[0]
                for row in connection.execute(
                    "SELECT selector FROM dkim_key WHERE domain_id = ?", (domain_id,)
                )
            }
            missing = sorted(set(selectors) - known)
            if missing:
                raise NotFound(f"{domain} has no DKIM selector {', '.join(missing)}")
            wanted = set(selectors)
            connection.executemany(
                "UPDATE dkim_key SET active = ? WHERE domain_id = ? AND selector = ?",
                [(int(selector in wanted), domain_id, selector) for selector in known],
            )

        await self._engine.write(activate)

    # -- paged listing (issue 8, admin pages) -----------------------------------------------

    async def list_accounts_page(
        self, *, prefix: str = "", domain: str | None = None, offset: int = 0, limit: int
    ) -> list[AccountRecord]:
        rows = await self._page(f"{_ACCOUNT_COLUMNS} FROM account", prefix, domain, offset, limit)
        return [_account(row) for row in rows]

    async def count_accounts(self, *, prefix: str = "", domain: str | None = None) -> int:
        return await self._count("account", prefix, domain)

    async def list_aliases_page(
        self, *, prefix: str = "", domain: str | None = None, offset: int = 0, limit: int
    ) -> list[AliasRecord]:
        rows = await self._page(
            "id, address, targets, created FROM alias", prefix, domain, offset, limit
        )
        return [_alias(row) for row in rows]

    async def _page(
        self, source: str, prefix: str, domain: str | None, offset: int, limit: int
    ) -> list[Any]:
        """Rows of ``SELECT source`` (columns FROM table) in address order, one page."""
        clause, parameters = _listing_filter(prefix, domain)

        def page(connection: sqlite3.Connection) -> list[Any]:
            return connection.execute(
                f"SELECT {source} WHERE {clause} ORDER BY address LIMIT ? OFFSET ?",
                (*parameters, max(limit, 0), max(offset, 0)),
            ).fetchall()

        return await self._engine.read(page)

    async def count_aliases(self, *, prefix: str = "", domain: str | None = None) -> int:
        return await self._count("alias", prefix, domain)

    async def _count(self, table: str, prefix: str, domain: str | None) -> int:
        clause, parameters = _listing_filter(prefix, domain)

        def count(connection: sqlite3.Connection) -> int:
            row = connection.execute(f"SELECT count(*) FROM {table} WHERE {clause}", parameters)
            return int(row.fetchone()[0])

        return await self._engine.read(count)

    async def domain_usage(self) -> dict[str, DomainUsage]:
        def usage(connection: sqlite3.Connection) -> dict[str, DomainUsage]:
            rows = connection.execute(
                "SELECT d.name, "
                "(SELECT count(*) FROM account a WHERE a.domain_id = d.id), "
                "(SELECT count(*) FROM alias l WHERE l.domain_id = d.id), "
                "(SELECT coalesce(sum(used_bytes), 0) FROM account a WHERE a.domain_id = d.id), "
                "(SELECT coalesce(sum(message_count), 0) FROM account a "
                "WHERE a.domain_id = d.id) "
                "FROM domain d ORDER BY d.name"
            )
            return {row[0]: DomainUsage(*row[1:]) for row in rows}

        return await self._engine.read(usage)
