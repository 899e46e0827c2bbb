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
"""

import logging
import secrets

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


def _tokens(scope, user_id, got):
    """The current (everyone, user) tokens of ``scope``, creating the missing ones."""
    keys = (_token_key(scope, _EVERYONE), _token_key(scope, user_id))
    missing = [key for key in keys if key not in got]
    if missing:
        for key in missing:
            cache.add(key, _new_token(), TOKEN_TIMEOUT)  # only if no other process set one meanwhile
        got.update(cache.get_many(missing))
    return tuple(got.get(key) for key in keys)


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
        return compute()
    entry = got.get(entry_key)
    if entry is not None and None not in stamp[:2] and entry[0] == stamp:
        return entry[1]
    value = compute()
    if None not in stamp[:2]:
        try:
            cache.set(entry_key, (stamp, value), ENTRY_TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable; %s for user %s not kept", name, user_id, exc_info=True)
    return value
