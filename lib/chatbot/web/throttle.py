"""Failed logins with a user name: counted per account and per address together.

A store's team shares one shop Wi-Fi, so one address is many people: a
colleague who forgot a password must not lock the others out, and someone
guessing the owner's password from elsewhere must not lock the owner out
of the shop. The rules, within ``WINDOW`` seconds:

- **one name from one address** (the pair): the first ``PAIR_FREE`` failures
  cost nothing; after that each new try waits twice as long as the one
  before (1 s, 2 s, 4 s, ... at most ``PAIR_MAX_WAIT``): a slower answer, not
  a lockout, and only for that name at that address;
- **one account from anywhere**: past ``ACCOUNT_FREE`` failures the account
  is rationed: addresses it never logged in from share one password check
  every ``ACCOUNT_EVERY`` seconds (rotating addresses buys nothing), while
  the addresses its owner logged in from before (``trusted``) go on as usual;
- **one address, any names**: past ``ADDRESS_FREE`` failures the address may
  only log in to accounts that logged in from it before (a guesser in the
  shop does not stop the team).

``check`` answers how many seconds a try must wait (0: go ahead); it never
sleeps, so a flood of tries holds no web thread. Pure and in memory (one
``chatbot-web`` process); tests drive it with the frozen clock.
"""
from __future__ import annotations

import threading
import time

WINDOW = 600
PAIR_FREE, PAIR_MAX_WAIT = 3, 300
ACCOUNT_FREE, ACCOUNT_EVERY = 10, 10.0
ADDRESS_FREE = 30
MAX_KEYS = 20_000          # remembered names, addresses and pairs; the quiet ones go first


class LoginThrottle:
    def __init__(self):
        self._lock = threading.Lock()
        self._pair: dict[tuple[str, str], list[float]] = {}
        self._account: dict[str, list[float]] = {}
        self._address: dict[str, list[float]] = {}
        self._rationed: dict[str, float] = {}      # account -> when an untrusted address last got its check

    def check(self, name: str, addr: str, trusted: bool, now: float) -> tuple[float, str]:
        """(seconds to wait, why: "pair", "account" or "address"); (0, "") to go ahead. A try that may go
        ahead on a rationed account takes that account's turn."""
        name = name[:64]
        with self._lock:
            pair = self._recent(self._pair, (name, addr), now)
            if len(pair) >= PAIR_FREE:
                wait = min(2 ** (len(pair) - PAIR_FREE), PAIR_MAX_WAIT) - (now - pair[-1])
                if wait > 0:
                    return wait, "pair"
            if trusted:
                return 0.0, ""
            address = self._recent(self._address, addr, now)
            if len(address) >= ADDRESS_FREE:
                return address[len(address) - ADDRESS_FREE] + WINDOW - now, "address"
            if len(self._recent(self._account, name, now)) >= ACCOUNT_FREE:
                last = self._rationed.get(name)
                if last is not None and now - last < ACCOUNT_EVERY:
                    return ACCOUNT_EVERY - (now - last), "account"
                self._rationed[name] = now
            return 0.0, ""

    def failed(self, name: str, addr: str, now: float) -> None:
        name = name[:64]
        with self._lock:
            for table, key in ((self._pair, (name, addr)), (self._account, name), (self._address, addr)):
                table.setdefault(key, []).append(now)
                del table[key][:-max(ADDRESS_FREE, PAIR_FREE + 12)]     # enough to decide, never more
            if sum(map(len, (self._pair, self._account, self._address))) > MAX_KEYS:
                self._forget(now)

    def succeeded(self, name: str, addr: str) -> None:
        """The right password: that name's waits at that address end (the account's count stays)."""
        with self._lock:
            self._pair.pop((name[:64], addr), None)

    @staticmethod
    def _recent(table: dict, key, now: float) -> list[float]:
        times = table.get(key)
        if not times:
            return []
        if now - times[0] >= WINDOW:
            times[:] = [t for t in times if now - t < WINDOW]
            if not times:
                del table[key]
        return times

    def _forget(self, now: float) -> None:
        for table in (self._pair, self._account, self._address):
            for key in [k for k, v in table.items() if now - v[-1] >= WINDOW]:
                del table[key]
        for key in [k for k, t in self._rationed.items() if now - t >= WINDOW]:
            del self._rationed[key]
        while sum(map(len, (self._pair, self._account, self._address))) > MAX_KEYS:
            biggest = max((self._pair, self._account, self._address), key=len)
            oldest = min(biggest, key=lambda k: biggest[k][-1])
            del biggest[oldest]


class Lane:
    """Password checks (each ~0.1 s of CPU and 32 MiB) one at a time, with at most ``queue``
    more waiting, each for at most ``patience`` seconds, and at least ``spacing`` seconds between
    the end of one check and the start of the next: beyond that a try is told at once to try
    again, so a flood of guesses neither holds the web threads Meta's webhooks need nor keeps a
    core busy hashing."""

    def __init__(self, queue: int, patience: float, spacing: float = 0.0):
        self._slot = threading.Semaphore(1)
        self._room = threading.Semaphore(1 + queue)
        self.patience, self.spacing = patience, spacing
        self._free_at = 0.0                    # time.monotonic() when the next check may start

    def enter(self) -> bool:
        """True: the caller holds the check and must call ``leave``; False: busy, try again."""
        if not self._room.acquire(blocking=False):
            return False
        deadline = time.monotonic() + self.patience
        if self._slot.acquire(timeout=self.patience):
            pause = self._free_at - time.monotonic()
            if pause <= 0 or time.monotonic() + pause <= deadline:
                if pause > 0:
                    time.sleep(pause)
                return True
            self._slot.release()
        self._room.release()
        return False

    def leave(self) -> None:
        self._free_at = time.monotonic() + self.spacing
        self._slot.release()
        self._room.release()
