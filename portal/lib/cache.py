"""Per-user facts kept in the shared cache, and made stale the moment what they derive from changes.

Every page a logged-in user opens needs the same few facts about them: staff or not, the boards they
serve on, whether they have set up TOTP, how many notices are unread. Each is kept in Django's cache
(Redis in production) under the user's id, stamped with version tokens:

- a token per scope and user (``bump(scope, user_id)``: their membership, person, group, account,
  authenticator or notice changed);
- a token per scope for everyone (``bump(scope, everyone=True)``: a board or the staff group changed).

An entry counts only while its stamp equals the current tokens (and, for the access facts, today's date:
a term that ends today must not grant anything tomorrow). Tokens are random, never counters, so a token
that expired or was evicted comes back as a value no entry carries. A bump replaces the tokens at once
and again when the transaction commits: a request that read the tokens and then the database before the
commit may store the old state, but only under tokens that the second bump has already replaced.

Receivers of the model signals that bump are in ``organizations.signals``; changes that send no signal
(``QuerySet.update``, ``bulk_create``) must call ``bump`` themselves.

Tables have tokens too (``table_token_key``), for whole pages (``portal.lib.pagecache``): every statement that
writes a table through Django's database connection (``save``, ``QuerySet.update``, ``bulk_create``, raw
SQL, migrations) replaces the table's token, at once and again when the transaction commits, so nothing
has to remember to. ``tables_read`` records which tables the statements inside it read. Writes that bypass
the connection's cursor wrappers (``COPY`` through ``copy_expert``) call ``tables_written``.
"""

import contextvars
import hashlib
import logging
import re
import secrets
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

ACCESS = "access"  # groups, memberships, person link, boards, second factor
UNREAD = "unread"  # the unread-notices count

# Entries and tokens expire on their own; either expiring costs one recomputation, never a stale answer.
ENTRY_TIMEOUT = 24 * 60 * 60
TOKEN_TIMEOUT = 7 * 24 * 60 * 60
_EVERYONE = "*"


def _token_key(scope, user_id):
    return f"portal:token:{scope}:{user_id}"


def _entry_key(name, user_id):
    return f"portal:entry:{name}:{user_id}"


def _new_token():
    return secrets.token_hex(8)


def bump(scope, *user_ids, everyone=False):
    """Make the ``scope`` entries of these users (or of everyone) stale: now, and again on commit."""
    keys = [_token_key(scope, _EVERYONE)] if everyone else [_token_key(scope, pk) for pk in set(user_ids) if pk]
    if not keys:
        return

    def replace():
        cache.set_many({key: _new_token() for key in keys}, TOKEN_TIMEOUT)

    replace()
    transaction.on_commit(replace)


def _with_missing_created(keys, got):
    """``got`` (tokens read with one ``get_many``) completed with the ``keys`` it lacks, created now: a missing
    token is never "unchanged"."""
    missing = [key for key in keys if key not in got]
    if missing:
        for key in missing:
            cache.add(key, _new_token(), TOKEN_TIMEOUT)  # only if no other process set one meanwhile
        got.update(cache.get_many(missing))
    return got


def _tokens(scope, user_id, got):
    """The current (everyone, user) tokens of ``scope``, creating the missing ones."""
    keys = (_token_key(scope, _EVERYONE), _token_key(scope, user_id))
    _with_missing_created(keys, got)
    return tuple(got.get(key) for key in keys)


def _untracked(compute):
    """``compute()`` without recording what it reads: its entry's tokens stand for it."""
    previous = _reads.set(None)
    try:
        return compute()
    finally:
        _reads.reset(previous)


def cached_for_user(user_id, name, compute, *, scope, extra=None):
    """``compute()``, or its value from the cache while no bump of ``scope`` (and no change of ``extra``) since.

    One round trip to the cache when the entry is fresh. The tokens are read before ``compute`` reads the
    database, so a value computed from a state that a concurrent change replaced is stored under the
    tokens that change replaced: never used.
    """
    entry_key = _entry_key(name, user_id)
    try:
        got = cache.get_many([_token_key(scope, _EVERYONE), _token_key(scope, user_id), entry_key])
        stamp = (*_tokens(scope, user_id, got), extra)
    except Exception:  # noqa: BLE001 - the cache server is unreachable: the database still answers
        logger.warning("cache unavailable; computing %s for user %s", name, user_id, exc_info=True)
        return _untracked(compute)
    entry = got.get(entry_key)
    if entry is not None and None not in stamp[:2] and entry[0] == stamp:
        return entry[1]
    value = _untracked(compute)
    if None not in stamp[:2]:
        try:
            cache.set(entry_key, (stamp, value), ENTRY_TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; %s for user %s not kept", name, user_id, exc_info=True)
    return value


def user_tokens(user_id) -> list[str]:
    """The keys of the tokens every per-user fact of ``user_id`` is stamped with."""
    return [_token_key(scope, who) for scope in (ACCESS, UNREAD) for who in (_EVERYONE, user_id)]


def current_tokens(keys) -> dict:
    """The current value of each token key, creating the missing ones."""
    return _with_missing_created(keys, cache.get_many(keys))


# --- tables ---------------------------------------------------------------------------------------

_TABLE = "table"
# A table named after FROM or JOIN (Django quotes names; raw SQL may not).
_READ = re.compile(r'\b(?:FROM|JOIN)\s+(?:ONLY\s+)?"?(\w+)"?', re.IGNORECASE)
_WRITE = re.compile(
    r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)\s+(?:ONLY\s+)?"?(\w+)"?'
    r'|\bUPDATE\s+(?:ONLY\s+)?"?(\w+)"?(?:\s+(?:AS\s+)?\w+)?\s+SET\b',
    re.IGNORECASE,
)
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "WITH", "COPY", "TRUNCATE", "REPLACE")
# Rows rewritten all day (logins, the reminder and notice outboxes, export progress): their tokens are never
# replaced, which would cost the workers a round trip per row, and no page that reads them is kept.
UNTRACKED_TABLES = frozenset({"django_session", "meetings_reminder", "programs_notice", "reports_exportjob"})
_reads: contextvars.ContextVar = contextvars.ContextVar("portal_tables_read", default=None)
_capture_epoch: contextvars.ContextVar = contextvars.ContextVar("portal_capture_epoch", default=0)


def table_token_key(table):
    return _token_key(_TABLE, table)


_all_tables = None
_release = None
# What a kept page or shared value is made of besides data: code, templates, translations. Those of another
# release are never used, so an upgrade shows at once.
_RELEASE_SUFFIXES = (".py", ".html", ".txt", ".mo")
_RELEASE_DIRS = ("portal", "organizations", "meetings", "programs", "reports", "templates")


def release() -> str:
    """A digest of this release's code, templates and translations (computed once per process)."""
    global _release
    if _release is None:
        from django.conf import settings

        digest = hashlib.sha256()
        for folder in _RELEASE_DIRS:
            for path in sorted((settings.BASE_DIR / folder).rglob("*")):
                if path.suffix in _RELEASE_SUFFIXES and path.is_file():
                    digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                    digest.update(path.read_bytes())
        _release = digest.hexdigest()[:16]
    return _release


def table_keys() -> dict:
    """Token key -> table, for every table of the project's models (a stamp is read before anything says
    which tables a computation will read)."""
    global _all_tables
    if _all_tables is None:
        from django.apps import apps

        _all_tables = {table_token_key(model._meta.db_table): model._meta.db_table
                       for model in apps.get_models(include_auto_created=True)}
    return _all_tables


@contextmanager
def tables_read():
    """Collect, in the yielded set, the tables that statements run inside the block read.

    Nested blocks report to the enclosing one too: a page that uses a shared computation depends on what
    that computation read.
    """
    tables = set()
    outer = _reads.get()
    _capture_epoch.set(_capture_epoch.get() + 1)
    previous = _reads.set(tables)
    try:
        yield tables
    finally:
        _reads.reset(previous)
        if outer is not None:
            outer.update(tables)


def fresh(stamp) -> bool:
    """Whether every token of ``stamp`` (key -> token) still has the value stamped."""
    current = cache.get_many(list(stamp))
    return all(current.get(key) == token for key, token in stamp.items())


def stamp_of(before, read) -> dict:
    """The tokens, as read in ``before``, of the tables in ``read``."""
    return {key: before[key] for key, table in table_keys().items() if table in read}


def shared(key, compute, timeout):
    """``compute()``, shared by everyone who asks with the same ``key`` while no table it read has changed.

    For numbers that are the same for many users (the dashboard's, per scope): the key must hold everything
    else the value depends on. Kept at most ``timeout`` seconds (what depends on the clock; 0: not at all). A page kept
    with ``portal.lib.pagecache`` that uses the value depends on the same tables, whether the value was
    computed or found.
    """
    if timeout <= 0:
        return compute()
    entry_key = f"portal:shared:{key}"
    try:
        entry = cache.get(entry_key)
        if entry is not None and fresh(entry[0]):
            reads = _reads.get()
            if reads is not None:
                reads.update(table_keys()[token_key] for token_key in entry[0])
            return entry[1]
        before = current_tokens(list(table_keys()))
    except Exception:  # noqa: BLE001 - the cache server is away: the database still answers
        logger.warning("cache unavailable; computing %s", key, exc_info=True)
        return compute()
    with tables_read() as read:
        value = compute()
    if not read & UNTRACKED_TABLES:
        try:
            cache.set(entry_key, (stamp_of(before, read), value), timeout)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; %s not kept", key, exc_info=True)
    return value


def tables_written(connection, tables):
    """Make the tokens of ``tables`` stale: now, and (inside a transaction) again when it commits.

    One commit callback per transaction however many statements it runs. The immediate replacement is
    made once per table and transaction, and again after a page was read on this thread: that page may
    have seen the transaction's own uncommitted rows. A replacement the cache server refuses is logged:
    pages keep at most their timeout then.
    """
    tables = set(tables)
    if not connection.in_atomic_block:
        _replace_table_tokens(tables)
        return
    state = connection.__dict__.setdefault("_portal_written", {})
    flush = state.get("flush")
    if flush is None or not any(entry[1] is flush for entry in connection.run_on_commit):
        pending = set()

        def flush():
            _replace_table_tokens(pending)

        state.update(flush=flush, pending=pending, replaced=set(), epoch=None)
        connection.on_commit(flush, robust=True)
    state["pending"].update(tables)
    epoch = _capture_epoch.get()
    if state["epoch"] != epoch:
        state.update(replaced=set(), epoch=epoch)
    new = tables - state["replaced"]
    if new:
        state["replaced"].update(new)
        _replace_table_tokens(new)


def _replace_table_tokens(tables):
    try:
        cache.set_many({table_token_key(table): _new_token() for table in tables}, TOKEN_TIMEOUT)
    except Exception:  # noqa: BLE001 - a write must not fail because the cache server is away
        logger.warning("cache unavailable; tables %s not marked changed", sorted(tables), exc_info=True)


def watch_statements(execute, sql, params, many, context):
    """Cursor wrapper on every database connection (installed in ``portal.apps``): see the module doc."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str):
        reads = _reads.get()
        if reads is not None:
            reads.update(name.lower() for name in _READ.findall(sql))
        if sql.lstrip()[:8].upper().startswith(_WRITE_VERBS):
            written = {(a or b).lower() for a, b in _WRITE.findall(sql)} - UNTRACKED_TABLES
            if written:
                tables_written(context["connection"], written)
    return result
